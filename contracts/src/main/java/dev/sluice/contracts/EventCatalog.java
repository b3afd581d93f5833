package dev.sluice.contracts;

import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.accounting.FairshareUsage;
import dev.sluice.contracts.accounting.QosChanged;
import dev.sluice.contracts.identity.GroupRemoved;
import dev.sluice.contracts.identity.GroupUpserted;
import dev.sluice.contracts.identity.UserRemoved;
import dev.sluice.contracts.identity.UserUpserted;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobCancelRequested;
import dev.sluice.contracts.job.JobHoldRequested;
import dev.sluice.contracts.job.JobReleaseRequested;
import dev.sluice.contracts.job.JobRequeueRequested;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.JobUpdateRequested;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.NodeDrainRequested;
import dev.sluice.contracts.node.NodeHeartbeat;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.node.NodeResumeRequested;
import dev.sluice.contracts.node.SignalRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every event type Sluice knows, with its CloudEvents type and its topic. Contract tests walk this list: each
 * type must have a JSON Schema ({@code schemas/<type>.json}) and a sample ({@code samples/<type>.json}).
 */
public final class EventCatalog {
    public record Entry(String type, Class<? extends Event> recordClass, String topic) {
        public String schemaResource() {
            return "schemas/" + type + ".json";
        }

        public String sampleResource() {
            return "samples/" + type + ".json";
        }
    }

    private static final List<Entry> ENTRIES = List.of(
            entry(JobSubmitted.class, Topics.JOB_COMMANDS),
            entry(JobCancelRequested.class, Topics.JOB_COMMANDS),
            entry(JobHoldRequested.class, Topics.JOB_COMMANDS),
            entry(JobReleaseRequested.class, Topics.JOB_COMMANDS),
            entry(JobRequeueRequested.class, Topics.JOB_COMMANDS),
            entry(JobUpdateRequested.class, Topics.JOB_COMMANDS),
            entry(JobStateChanged.class, Topics.JOB_EVENTS),
            entry(AllocationGranted.class, Topics.JOB_EVENTS),
            entry(LaunchRequested.class, Topics.NODE_COMMANDS),
            entry(SignalRequested.class, Topics.NODE_COMMANDS),
            entry(NodeResumeRequested.class, Topics.NODE_COMMANDS),
            entry(NodeRegistered.class, Topics.NODE_EVENTS),
            entry(NodeHeartbeat.class, Topics.NODE_EVENTS),
            entry(NodeDrainRequested.class, Topics.NODE_EVENTS),
            entry(StepStarted.class, Topics.STEP_EVENTS),
            entry(StepFinished.class, Topics.STEP_EVENTS),
            entry(UserUpserted.class, Topics.IDENTITY_EVENTS),
            entry(UserRemoved.class, Topics.IDENTITY_EVENTS),
            entry(GroupUpserted.class, Topics.IDENTITY_EVENTS),
            entry(GroupRemoved.class, Topics.IDENTITY_EVENTS),
            entry(AssociationChanged.class, Topics.ACCOUNTING_EVENTS),
            entry(QosChanged.class, Topics.ACCOUNTING_EVENTS),
            entry(FairshareUsage.class, Topics.ACCOUNTING_EVENTS));

    private static final Map<String, Entry> BY_TYPE = new LinkedHashMap<>();
    private static final Map<Class<?>, Entry> BY_CLASS = new LinkedHashMap<>();

    static {
        for (Entry e : ENTRIES) {
            BY_TYPE.put(e.type(), e);
            BY_CLASS.put(e.recordClass(), e);
        }
    }

    private EventCatalog() {
    }

    private static Entry entry(Class<? extends Event> c, String topic) {
        EventType t = c.getAnnotation(EventType.class);
        if (t == null) {
            throw new IllegalStateException(c.getName() + " has no @EventType");
        }
        return new Entry(t.value(), c, topic);
    }

    public static List<Entry> all() {
        return ENTRIES;
    }

    public static Optional<Entry> byType(String type) {
        return Optional.ofNullable(BY_TYPE.get(type));
    }

    public static Entry of(Class<?> recordClass) {
        Entry e = BY_CLASS.get(recordClass);
        if (e == null) {
            throw new IllegalArgumentException("Not a catalogued event: " + recordClass.getName());
        }
        return e;
    }

    public static Entry of(Event event) {
        return of(event.getClass());
    }
}
