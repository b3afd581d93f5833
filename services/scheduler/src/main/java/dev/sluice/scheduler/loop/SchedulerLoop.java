package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.accounting.AccountingEvent;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.NodeEventSignature;
import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.PriorityStrategy;
import dev.sluice.scheduler.core.SchedulingStrategy;
import dev.sluice.scheduler.core.Decision;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.Job;
import dev.sluice.scheduler.core.Node;
import dev.sluice.scheduler.core.Scheduler;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.policy.PolicyBook;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The scheduler's one thread: consume job commands, node and step events; let the core decide; produce the
 * decisions, the changed state records and the consumed offsets in one Kafka transaction. Either all of a batch's
 * consequences are visible or none are, so a crash at any point is followed by a clean replay from the last
 * commit: nothing is lost, nothing is launched twice, and the rebuilt core holds exactly the committed allocations.
 *
 * <p>On start it reads {@code sluice.scheduler.state} to its end to rebuild the core. Initialising the
 * transactional producer first fences any older instance with the same transactional id and aborts its open
 * transaction, so the state read is final.
 */
public final class SchedulerLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SchedulerLoop.class);
    static final List<String> INPUT_TOPICS = List.of(Topics.JOB_COMMANDS, Topics.NODE_EVENTS, Topics.STEP_EVENTS,
            Topics.ACCOUNTING_EVENTS);

    /**
     * @param consumerOverrides extra consumer settings (tests use {@code max.poll.records})
     * @param crashAfterTransactions for tests: after this many commits, the next transaction is sent and then the
     *                               loop dies without committing or aborting, as a killed process would; -1 never
     */
    public record Settings(String bootstrapServers, String groupId, String transactionalId, Duration tickInterval,
                           Map<String, Object> consumerOverrides, int crashAfterTransactions) {
        public static Settings defaults(String bootstrapServers) {
            return new Settings(bootstrapServers, "sluice-scheduler", "sluice-scheduler", Duration.ofSeconds(1),
                    Map.of(), -1);
        }
    }

    private final Settings settings;
    private volatile ClusterConfig config;
    private final Clock clock;
    private final Consumer<ClusterView> publisher;
    private final SchedulingStrategy strategy;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile boolean crashed;
    private volatile Throwable failure;
    private volatile long committed;

    private Scheduler core;
    private final Map<Long, JobSubmitted> submissions = new HashMap<>();
    /** Associations, QoS and usage from accounting; persisted as state records, since that topic is not compacted. */
    private final PolicyBook policy = new PolicyBook();

    /** The core's policy after the last pass, for HTTP threads (sprio's fairshare factor); immutable once built. */
    private volatile dev.sluice.scheduler.core.Policy latestPolicy;

    public Optional<dev.sluice.scheduler.core.Policy> policy() {
        return Optional.ofNullable(latestPolicy);
    }
    /** Jobs that ended: their state records are gone, and a redelivered JobSubmitted must not run them again. */
    private final EndedJobs ended = new EndedJobs();
    private boolean policyDirty;
    /** Operator requests (drain, resume, reconfigure) from HTTP threads, answered once their batch is committed. */
    private final ConcurrentLinkedQueue<AdminRequest> adminQueue = new ConcurrentLinkedQueue<>();
    private final List<AdminRequest> adminBatch = new ArrayList<>();
    private volatile Consumer<List<Job>> jobsPublisher = j -> { };
    private volatile Consumer<java.util.Map<Long, java.time.Instant>> plannedPublisher = p -> { };

    private record AdminRequest(Input input, CompletableFuture<Void> done) {
    }
    /** State records of accounting entities changed by the batch in hand, by key (the latest wins). */
    private final Map<String, ProducerRecord<String, byte[]>> policyRecords = new LinkedHashMap<>();

    public SchedulerLoop(Settings settings, ClusterConfig config, Clock clock, Consumer<ClusterView> publisher) {
        this(settings, config, clock, publisher, PriorityStrategy.fromConfig(config));
    }

    public SchedulerLoop(Settings settings, ClusterConfig config, Clock clock, Consumer<ClusterView> publisher,
                         SchedulingStrategy strategy) {
        this.strategy = strategy;
        this.settings = settings;
        this.config = config;
        this.clock = clock;
        this.publisher = publisher;
        this.thread = Thread.ofPlatform().name("scheduler-loop").daemon().unstarted(this::run);
    }

    public SchedulerLoop start() {
        thread.start();
        return this;
    }

    /** True once the state is rebuilt and events are being consumed. */
    public boolean ready() {
        return ready && thread.isAlive();
    }

    /** False once the loop's thread ended: closed, fenced by another instance, or (tests) crashed. */
    public boolean alive() {
        return thread.isAlive();
    }

    public boolean crashed() {
        return crashed;
    }

    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    public long committedTransactions() {
        return committed;
    }

    /** The cluster description the loop schedules with (the latest reconfigure's). */
    public ClusterConfig config() {
        return config;
    }

    /** Called after every pass with the live jobs (immutable records), for show-job requests. */
    public SchedulerLoop onJobs(Consumer<List<Job>> publisher) {
        this.jobsPublisher = publisher;
        return this;
    }

    /** Called after every pass with the core's expected starts of pending jobs (squeue --start). */
    public SchedulerLoop onPlannedStarts(Consumer<java.util.Map<Long, java.time.Instant>> publisher) {
        this.plannedPublisher = publisher;
        return this;
    }

    /**
     * An operator's input (drain, resume, reconfigure), run by the loop's thread with the next batch; the future
     * completes once its consequences are committed, or fails when this instance is not scheduling.
     */
    public CompletableFuture<Void> admin(Input input) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!ready()) {
            done.completeExceptionally(new IllegalStateException("this scheduler instance is not active"));
            return done;
        }
        adminQueue.add(new AdminRequest(input, done));
        return done;
    }

    /** Stops after the batch in hand is committed. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (running) {
            try {
                session();
            } catch (Crash c) {
                crashed = true;
                ready = false;
                return;
            } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
                LOG.error("Another scheduler instance took over; this one stops", e);
                failure = e;
                ready = false;
                return;
            } catch (RuntimeException e) {
                LOG.warn("Scheduler loop failed; rebuilding from the last committed state", e);
                failure = e;
                ready = false;
                sleep(1000);
            }
        }
    }

    /** One life of the loop: everything in memory is rebuilt from Kafka, so a failure just starts another. */
    private void session() {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                KafkaSettings.transactionalProducer(settings.bootstrapServers(), settings.transactionalId()));
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig())) {
            try {
                producer.initTransactions();
                restore();
                consumer.subscribe(INPUT_TOPICS);
                publisher.accept(core.view());
                latestPolicy = core.policy();
                jobsPublisher.accept(core.jobs());
                plannedPublisher.accept(core.plannedStarts());
                ready = true;
                failure = null;
                loop(producer, consumer);
            } catch (Crash c) {
                // A killed process neither commits nor aborts: leave the transaction open for the next
                // instance's initTransactions to abort.
                producer.close(Duration.ZERO);
                throw c;
            }
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> c = KafkaSettings.consumer(settings.bootstrapServers(), settings.groupId(),
                settings.transactionalId());
        // Static membership: a restarted instance takes its partitions back at once instead of waiting for the
        // dead one's session to expire, and a second live instance with the same id is fenced.
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, settings.transactionalId());
        c.putAll(settings.consumerOverrides());
        return c;
    }

    private void restore() {
        Map<Long, StateRecords.StoredJob> jobs = new LinkedHashMap<>();
        Map<String, Node> nodes = new LinkedHashMap<>();
        Map<String, AccountingEvent> accounting = new LinkedHashMap<>();
        ended.clear();
        Map<String, Object> cfg = KafkaSettings.consumer(settings.bootstrapServers(), null,
                settings.transactionalId() + "-restore");
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(cfg)) {
            List<TopicPartition> parts = reader.partitionsFor(Topics.SCHEDULER_STATE, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            reader.assign(parts);
            reader.seekToBeginning(parts);
            Map<TopicPartition, Long> end = reader.endOffsets(parts, Duration.ofSeconds(30));
            while (parts.stream().anyMatch(tp -> reader.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    StateRecords.apply(r, jobs, nodes, accounting, ended);
                }
            }
        }
        core = new Scheduler(config, clock, strategy);
        core.restore(nodes.values(), jobs.values().stream().map(StateRecords.StoredJob::job).toList());
        policy.clear();
        accounting.values().forEach(policy::apply);
        // Handed to the core with the first batch, whose pass publishes any reason it changes.
        policyDirty = !policy.isEmpty();
        submissions.clear();
        jobs.forEach((id, stored) -> {
            if (stored.submitted() != null) {
                submissions.put(id, stored.submitted());
            }
        });
        LOG.infof("Scheduler state rebuilt: %d live jobs, %d nodes", jobs.size(), nodes.size());
    }

    private void loop(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, byte[]> consumer) {
        Instant nextTick = clock.instant().plus(settings.tickInterval());
        while (running) {
            ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
            List<Event> batch = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : records) {
                event(r).map(CloudEvent::data).ifPresent(batch::add);
            }
            boolean tick = !clock.instant().isBefore(nextTick);
            if (tick) {
                nextTick = clock.instant().plus(settings.tickInterval());
            }
            adminBatch.clear();
            for (AdminRequest a; (a = adminQueue.poll()) != null; ) {
                adminBatch.add(a);
            }
            if (records.isEmpty() && !tick && adminBatch.isEmpty()) {
                continue;
            }
            policyRecords.clear();
            List<Decision> decisions = decide(batch, tick);
            List<ProducerRecord<String, byte[]>> out =
                    Outputs.records(decisions, config.clusterName(), submissions);
            out.addAll(policyRecords.values());
            for (AdminRequest a : adminBatch) {
                if (a.input() instanceof Input.Resume r) {
                    // the node's agent keeps its own drain (failed prolog, health check, unkillable step) on disk:
                    // the admin's resume reaches it in the same transaction as the scheduler's own
                    out.add(dev.sluice.contracts.cloudevents.KafkaCloudEvents.toRecord(Outputs.SOURCE,
                            new dev.sluice.contracts.node.NodeResumeRequested(r.node(), clock.instant())));
                }
            }
            if (forgetEnded(decisions)) {
                out.add(StateRecords.ended(ended));
            }
            if (!out.isEmpty() || !records.isEmpty()) {
                try {
                    commit(producer, consumer, records, out);
                } catch (RuntimeException e) {
                    adminBatch.forEach(a -> a.done().completeExceptionally(e));
                    throw e;
                }
            }
            publisher.accept(core.view());
            latestPolicy = core.policy();
            if (!out.isEmpty()) {
                jobsPublisher.accept(core.jobs());
            }
            plannedPublisher.accept(core.plannedStarts());
            // after the snapshots, so that whoever asked reads their own change
            for (AdminRequest a : adminBatch) {
                if (a.input() instanceof Input.Reconfigure r) {
                    config = r.config();
                }
                a.done().complete(null);
            }
        }
    }

    private void commit(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, byte[]> consumer,
                        ConsumerRecords<String, byte[]> records, List<ProducerRecord<String, byte[]>> out) {
        producer.beginTransaction();
        out.forEach(producer::send);
        if (!records.isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition tp : records.partitions()) {
                offsets.put(tp, new OffsetAndMetadata(records.records(tp).getLast().offset() + 1));
            }
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        }
        if (settings.crashAfterTransactions() >= 0 && committed >= settings.crashAfterTransactions()) {
            producer.flush();
            throw new Crash();
        }
        producer.commitTransaction();
        committed++;
    }

    /** sluice.node.signing-master-key: node and step events must then be signed by the node they are about. */
    private final Optional<byte[]> masterKey = NodeEventSignature.configuredMasterKey();

    private Optional<CloudEvent<Event>> event(ConsumerRecord<String, byte[]> r) {
        try {
            if (masterKey.isPresent() && (r.topic().equals(Topics.NODE_EVENTS) || r.topic().equals(Topics.STEP_EVENTS))) {
                // a forged or unsigned record is skipped like an unreadable one: its offset is committed
                return switch (NodeEventSignature.verify(r, masterKey.get())) {
                    case NodeEventSignature.Authentic a -> Optional.of(a.event());
                    case NodeEventSignature.Rejected rej -> {
                        LOG.warnf("Skipping rejected record %s-%d@%d: %s", r.topic(), r.partition(), r.offset(),
                                rej.reason());
                        yield Optional.empty();
                    }
                };
            }
            return KafkaCloudEvents.fromRecord(r);
        } catch (RuntimeException e) {
            // One malformed record must not stop scheduling for everyone: skip it, its offset is committed.
            LOG.warnf("Skipping unreadable record %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Runs the core on a batch. An exception from the core is a bug, and replaying the same batch would hit it
     * forever and stop scheduling for everyone: so the batch is retried event by event from the committed state,
     * and the events the core cannot handle are logged and skipped.
     */
    private List<Decision> decide(List<Event> batch, boolean tick) {
        try {
            return core.handle(inputs(batch, tick));
        } catch (RuntimeException bug) {
            LOG.error("The scheduling core failed on a batch of " + batch.size() + " events; retrying them one by one", bug);
            List<Event> accepted = new ArrayList<>();
            for (Event e : batch) {
                restore();
                List<Event> trial = new ArrayList<>(accepted);
                trial.add(e);
                try {
                    core.handle(inputs(trial, false));
                    accepted.add(e);
                } catch (RuntimeException skip) {
                    LOG.errorf(skip, "Skipping an event the scheduling core cannot handle: %s", e);
                }
            }
            restore();
            return core.handle(inputs(accepted, tick));
        }
    }

    private List<Input> inputs(List<Event> batch, boolean tick) {
        List<Input> inputs = new ArrayList<>();
        for (Event e : batch) {
            if (e instanceof JobSubmitted s && core.job(s.jobId()).isEmpty()) {
                if (ended.contains(s.jobId())) {
                    LOG.infof("Ignoring a repeated submission of job %d, which already ended", s.jobId());
                    continue;
                }
                submissions.putIfAbsent(s.jobId(), s);
            }
            if (e instanceof AccountingEvent a && policy.apply(a)) {
                policyDirty = true;
                // kept under the book's key: usage and its association share a Kafka key but are different facts
                policyRecords.put(StateRecords.ACCOUNTING_PREFIX + dev.sluice.scheduler.policy.PolicyBook.bookKey(a),
                        StateRecords.accounting(a));
            }
            boolean fresh = e instanceof JobSubmitted n && core.job(n.jobId()).isEmpty();
            Inputs.of(e).ifPresent(inputs::add);
            if (fresh && e instanceof JobSubmitted n && Boolean.TRUE.equals(n.spec().hold())) {
                // sbatch --hold: held in the same pass that queues it. Submit's JobHoldRequested follows on the same
                // key, but it may arrive in a later poll, after a pass that could already have started the job.
                inputs.add(new Input.Hold(n.jobId(), false));
            }
        }
        adminBatch.forEach(a -> inputs.add(a.input()));
        if (policyDirty) {
            // Before the batch's submissions: submit limits are checked against the new policy.
            inputs.addFirst(new Input.PolicyChanged(policy.policy()));
            policyDirty = false;
        }
        if (tick) {
            inputs.add(new Input.Tick());
        }
        return inputs;
    }

    private boolean forgetEnded(List<Decision> decisions) {
        boolean changed = false;
        for (Decision d : decisions) {
            if (d instanceof Decision.Rejected r) {
                // scontrol update/requeue Slurm would refuse; submit checks the same rules before publishing
                LOG.infof("Job %d: request refused: %s", r.jobId(), r.message());
            }
            if (d instanceof Decision.JobForgotten f) {
                submissions.remove(f.jobId());
                changed |= ended.add(f.jobId());
            }
        }
        return changed;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The test hook's simulated death. */
    private static final class Crash extends RuntimeException {
        Crash() {
            super("simulated crash", null, false, false);
        }
    }
}
