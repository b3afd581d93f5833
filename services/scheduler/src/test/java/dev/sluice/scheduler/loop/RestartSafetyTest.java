package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.Usage;
import dev.sluice.infra.KafkaBroker;
import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kill the scheduler in the middle of a transaction, start a fresh one, and check what the rest of the system saw:
 * every job allocated and launched exactly once, all of them finished, and no CPU ever held by two running jobs.
 */
class RestartSafetyTest {
    private static final int JOBS = 10;
    private static final ClusterConfig CONFIG = ClusterConfig.parse("""
            ClusterName=restart
            SlurmdTimeout=3600
            PartitionName=cpu Nodes=ALL Default=YES
            """);

    @TempDir
    static Path dir;
    static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.start(dir.resolve("kafka"), 0);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aRestartLosesNothingRunsNothingTwiceAndNeverDoubleAllocates() throws Exception {
        String bootstrap = broker.bootstrapServers();
        AtomicReference<ClusterView> view = new AtomicReference<>();
        // One input per transaction, so the crash lands mid-stream, after some jobs were committed and before others.
        SchedulerLoop first = new SchedulerLoop(settings(bootstrap, 6), CONFIG, Clock.systemUTC(), view::set).start();

        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, "feeder"));
             EventLog launches = new EventLog(bootstrap, Topics.NODE_COMMANDS)) {
            send(producer, node("n1"), node("n2"));
            for (int i = 1; i <= JOBS; i++) {
                send(producer, job(i, 1 + i % 2));
            }
            // Acts as the node agents: every launch they are shown ends its job right away.
            Set<Long> finished = new HashSet<>();
            SchedulerLoop second = null;
            Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
            while (finished.size() < JOBS && Instant.now().isBefore(deadline)) {
                for (LaunchRequested l : launches.poll().stream().map(CloudEvent::data)
                        .filter(LaunchRequested.class::isInstance).map(LaunchRequested.class::cast).toList()) {
                    if (finished.add(l.jobId())) {
                        send(producer, new StepFinished(l.jobId(), "batch", l.node(), Instant.now(),
                                JobState.COMPLETED, 0, 0, Usage.NONE, null));
                    }
                }
                if (first.crashed() && second == null) {
                    second = new SchedulerLoop(settings(bootstrap, -1), CONFIG, Clock.systemUTC(), view::set).start();
                }
            }
            assertThat(first.crashed()).as("the first scheduler died mid-transaction").isTrue();
            assertThat(second).isNotNull();
            try (EventLog jobEvents = new EventLog(bootstrap, Topics.JOB_EVENTS)) {
                jobEvents.await(Duration.ofSeconds(60), "every job completed", l -> l.all(JobStateChanged.class)
                        .stream().filter(s -> s.state() == JobState.COMPLETED).count() == JOBS);
                second.close();
                checkHistory(jobEvents, launches);
                // the nodes registered with the first scheduler; the second knows where their agents listen
                assertThat(view.get().nodes()).extracting(n -> n.name() + " " + n.address())
                        .containsExactly("n1 n1.cluster:6818", "n2 n2.cluster:6818");
            } finally {
                second.close();
            }
        } finally {
            first.close();
        }
        assertThat(uncommittedRecordsOnStateTopic(bootstrap)).as("the crash left records no one may read").isPositive();
    }

    private static void checkHistory(EventLog jobEvents, EventLog launches) {
        launches.poll();
        jobEvents.poll();
        Map<Long, Long> grants = jobEvents.all(AllocationGranted.class).stream()
                .collect(Collectors.groupingBy(AllocationGranted::jobId, Collectors.counting()));
        Map<Long, Long> launched = launches.all(LaunchRequested.class).stream()
                .collect(Collectors.groupingBy(LaunchRequested::jobId, Collectors.counting()));
        for (long id = 1; id <= JOBS; id++) {
            assertThat(grants.get(id)).as("allocations of job %d", id).isEqualTo(1L);
            assertThat(launched.get(id)).as("launches of job %d", id).isEqualTo(1L);
        }
        List<String> ids = jobEvents.events().stream().map(CloudEvent::id).toList();
        assertThat(ids).as("no job event published twice").doesNotHaveDuplicates();

        Map<Long, Instant> ends = new HashMap<>();
        for (JobStateChanged s : jobEvents.all(JobStateChanged.class)) {
            if (s.state() == JobState.COMPLETED) {
                ends.put(s.jobId(), s.time());
            }
            if (s.previous() != null && s.previous() != s.state()) {
                assertThat(dev.sluice.contracts.job.JobStateMachine.canTransition(s.previous(), s.state())).isTrue();
            }
        }
        List<AllocationGranted> all = jobEvents.all(AllocationGranted.class);
        for (AllocationGranted a : all) {
            for (AllocationGranted b : all) {
                if (a.jobId() >= b.jobId()) {
                    continue;
                }
                boolean overlapInTime = a.time().isBefore(ends.get(b.jobId())) && b.time().isBefore(ends.get(a.jobId()));
                if (overlapInTime) {
                    assertThat(cpus(a)).as("jobs %d and %d ran at once", a.jobId(), b.jobId())
                            .doesNotContainAnyElementsOf(cpus(b));
                }
            }
        }
    }

    private static Set<String> cpus(AllocationGranted a) {
        Set<String> out = new HashSet<>();
        for (NodeAllocation n : a.nodes()) {
            n.cpuIds().forEach(c -> out.add(n.node() + ":" + c));
        }
        return out;
    }

    private static long uncommittedRecordsOnStateTopic(String bootstrap) {
        try (EventLog committed = new EventLog(bootstrap, true, Topics.SCHEDULER_STATE);
             EventLog everything = new EventLog(bootstrap, false, Topics.SCHEDULER_STATE)) {
            for (int i = 0; i < 10; i++) {
                committed.poll();
                everything.poll();
            }
            return everything.records().size() - committed.records().size();
        }
    }

    private static SchedulerLoop.Settings settings(String bootstrap, int crashAfter) {
        return new SchedulerLoop.Settings(bootstrap, "sluice-scheduler", "sluice-scheduler", Duration.ofSeconds(1),
                Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1), crashAfter);
    }

    private static NodeRegistered node(String name) {
        return new NodeRegistered(name, "boot-" + name, Instant.now(), name, name + ".cluster:6818", 2, 1, 2, 1,
                List.of(0, 1), 4096, List.of(), List.of(), List.of());
    }

    private static JobSubmitted job(long id, int tasks) {
        return new JobSubmitted(id, Instant.now(), new Owner("some_user", 1001, 1001),
                new JobSpec("job" + id, null, null, null, "#!/bin/sh\ntrue\n", "/tmp", null, null, Map.of(),
                        Resources.of(tasks, 1, null), 5));
    }

    private static void send(KafkaProducer<String, byte[]> producer, Event... events) throws Exception {
        for (Event e : events) {
            producer.send(KafkaCloudEvents.toRecord("sluice/test", e)).get();
        }
    }
}
