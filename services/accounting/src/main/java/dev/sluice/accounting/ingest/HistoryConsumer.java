package dev.sluice.accounting.ingest;

import dev.sluice.accounting.history.JobHistoryWriter;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.TopicSetup;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads job commands, job events and step events into the history tables on one thread. A polled batch is
 * written in one database transaction and its offsets are committed only after that transaction: a crash in
 * between makes the next start read the batch again, which the idempotent writer absorbs.
 */
@ApplicationScoped
public class HistoryConsumer {
    private static final Logger LOG = Logger.getLogger(HistoryConsumer.class);
    static final List<String> TOPICS = List.of(Topics.JOB_COMMANDS, Topics.JOB_EVENTS, Topics.STEP_EVENTS);

    @Inject
    Pool db;
    @Inject
    JobHistoryWriter writer;
    @Inject
    dev.sluice.accounting.jobcomp.JobcompPublisher jobcomp;
    @Inject
    dev.sluice.accounting.fairshare.FairshareService fairshare;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "sluice.accounting.consumer-group", defaultValue = "sluice-accounting")
    String groupId;

    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile Thread thread;
    private volatile boolean running;
    private volatile boolean assigned;
    private volatile boolean holding;
    private final IngestStats stats = new IngestStats();

    /**
     * Where the consumer thread's time goes, summed since start: polling, decoding CloudEvents, the database
     * transaction, handing finished jobs to the jobcomp worker, and the offset commit. AccountingBench reports it.
     */
    public static final class IngestStats {
        public final java.util.concurrent.atomic.LongAdder events = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder batches = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder pollNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder decodeNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder sqlNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder jobcompNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder commitNanos = new java.util.concurrent.atomic.LongAdder();
        public volatile long threadId = -1;

        public String describe() {
            return String.format("%d events in %d polls; poll %.1f s, decode %.1f s, SQL transaction %.1f s, "
                            + "jobcomp %.1f s, offset commit %.1f s", events.sum(), batches.sum(), pollNanos.sum() / 1e9,
                    decodeNanos.sum() / 1e9, sqlNanos.sum() / 1e9, jobcompNanos.sum() / 1e9, commitNanos.sum() / 1e9);
        }
    }

    public IngestStats stats() {
        return stats;
    }

    /**
     * Holds the consumer (its partitions paused, the group membership kept) until {@link #release()}: lets a
     * benchmark put a backlog on the topics first and then time the consumer alone.
     */
    public void hold() {
        holding = true;
    }

    public void release() {
        holding = false;
    }

    void onStart(@Observes StartupEvent ev) {
        TopicSetup.ensureTopics(bootstrapServers, (short) 1);
        var settings = new java.util.HashMap<>(KafkaSettings.consumer(bootstrapServers, groupId, "sluice-accounting"));
        // Each poll is one database transaction, one pipelined batch per statement kind and one offset commit:
        // larger polls spread those fixed costs over more events when a backlog builds up.
        settings.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        settings.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        consumer = new KafkaConsumer<>(settings);
        running = true;
        thread = Thread.ofPlatform().name("accounting-history-consumer").start(this::loop);
    }

    void onStop(@Observes ShutdownEvent ev) {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** True while the consumer thread runs and the group has given it partitions; readiness reports it. */
    public boolean healthy() {
        Thread t = thread;
        return running && t != null && t.isAlive() && assigned;
    }

    private void loop() {
        try (KafkaConsumer<String, byte[]> c = consumer) {
            c.subscribe(TOPICS);
            stats.threadId = Thread.currentThread().threadId();
            while (running) {
                if (holding) {
                    c.pause(c.assignment());
                } else if (!c.paused().isEmpty()) {
                    c.resume(c.paused());
                }
                long p0 = System.nanoTime();
                ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(holding ? 100 : 500));
                assigned = !c.assignment().isEmpty();
                if (records.isEmpty()) {
                    continue;
                }
                stats.pollNanos.add(System.nanoTime() - p0);
                try {
                    write(records);
                    long c0 = System.nanoTime();
                    c.commitSync();
                    stats.commitNanos.add(System.nanoTime() - c0);
                    stats.events.add(records.count());
                    stats.batches.increment();
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // The database (or the commit) failed: read the same batch again after a pause rather than
                    // skip history. Replaying is safe because every write is idempotent.
                    LOG.warnf(e, "Could not record %d events, retrying", records.count());
                    rewind(c, records);
                    pause();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("History consumer woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("History consumer stopped", e);
        } finally {
            running = false;
        }
    }

    private void write(ConsumerRecords<String, byte[]> records) {
        long d0 = System.nanoTime();
        List<Event> events = new ArrayList<>(records.count());
        for (ConsumerRecord<String, byte[]> r : records) {
            decode(r).ifPresent(ce -> events.add(ce.data()));
        }
        long s0 = System.nanoTime();
        stats.decodeNanos.add(s0 - d0);
        if (events.isEmpty()) {
            return;
        }
        db.withTransaction(tx -> writer.applyAll(tx, events))
                .await().atMost(Duration.ofSeconds(60));
        long j0 = System.nanoTime();
        stats.sqlNanos.add(j0 - s0);
        // After the history commit: the jobcomp worker sends the jobs that just finished on its own thread (its
        // start-up sweep covers ids lost from its queue by a crash, since the marks live in the database).
        java.util.Set<Long> jobs = new java.util.LinkedHashSet<>();
        boolean usageChanged = false;
        for (Event e : events) {
            if (e instanceof dev.sluice.contracts.job.AllocationGranted) {
                usageChanged = true;
            }
            if (e instanceof dev.sluice.contracts.job.JobStateChanged s) {
                usageChanged |= s.state().isTerminal() || s.state() == dev.sluice.contracts.job.JobState.RUNNING;
                jobs.add(s.jobId());
            } else if (e instanceof dev.sluice.contracts.job.JobSubmitted s) {
                jobs.add(s.jobId());
            }
        }
        if (usageChanged) {
            fairshare.changed();
        }
        jobcomp.submit(jobs);
        stats.jobcompNanos.add(System.nanoTime() - j0);
    }

    private static Optional<CloudEvent<Event>> decode(ConsumerRecord<String, byte[]> r) {
        try {
            return KafkaCloudEvents.fromRecord(r);
        } catch (IllegalArgumentException e) {
            // A payload that cannot be read now never will be; holding the partition for it would stop history.
            LOG.errorf("Skipping unreadable record %s-%d@%d: %s", r.topic(), r.partition(), r.offset(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    private static void rewind(KafkaConsumer<String, byte[]> c, ConsumerRecords<String, byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            if (!c.assignment().contains(tp)) {
                continue; // taken away by a rebalance: its new owner starts from the last commit
            }
            c.seek(tp, records.records(tp).getFirst().offset());
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
