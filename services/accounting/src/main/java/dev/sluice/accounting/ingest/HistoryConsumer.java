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
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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
     * Where the consumer thread's time goes, summed since start: polling, decoding CloudEvents, waiting for the
     * database transaction (which runs while the next batch is polled and decoded), handing finished jobs to the
     * jobcomp worker, and the offset commit. AccountingBench reports it.
     */
    public static final class IngestStats {
        public final java.util.concurrent.atomic.LongAdder events = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder batches = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder pollNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder decodeNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder sqlNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder jobcompNanos = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder commitNanos = new java.util.concurrent.atomic.LongAdder();
        /** Batches that failed (database or commit) and were read again. */
        public final java.util.concurrent.atomic.LongAdder failures = new java.util.concurrent.atomic.LongAdder();
        public volatile long threadId = -1;

        public String describe() {
            return String.format("%d events in %d polls; poll %.1f s, decode %.1f s, waiting on the SQL transaction %.1f s, "
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

    /**
     * One polled batch on its way into the database: its decoded events, the first offset of each partition (to
     * read it again after a failure) and the offsets to commit once its transaction has committed.
     */
    private record Batch(List<Event> events, int count, Map<TopicPartition, Long> first,
                         Map<TopicPartition, OffsetAndMetadata> next) {
    }

    /**
     * Polls and decodes batch N+1 while batch N's transaction runs: the two halves of the old serial loop took
     * about the same time, so overlapping them is most of the consumer's speed. Order is kept: a batch's
     * transaction starts only after the previous one committed, and offsets are committed per batch, only after
     * its own transaction. A failure reads every uncommitted batch again from its first offsets.
     */
    private void loop() {
        try (KafkaConsumer<String, byte[]> c = consumer) {
            c.subscribe(TOPICS);
            stats.threadId = Thread.currentThread().threadId();
            Batch inFlight = null;
            CompletableFuture<Void> tx = null;
            while (running) {
                if (holding) {
                    c.pause(c.assignment());
                } else if (!holding && !c.paused().isEmpty()) {
                    c.resume(c.paused());
                }
                long p0 = System.nanoTime();
                ConsumerRecords<String, byte[]> records = c.poll(inFlight != null ? Duration.ZERO
                        : Duration.ofMillis(holding ? 100 : 500));
                assigned = !c.assignment().isEmpty();
                Batch next = null;
                if (!records.isEmpty()) {
                    stats.pollNanos.add(System.nanoTime() - p0);
                    next = decode(records);
                }
                if (inFlight != null) {
                    try {
                        long w0 = System.nanoTime();
                        tx.join();
                        stats.sqlNanos.add(System.nanoTime() - w0);
                        afterTransaction(inFlight.events());
                        long c0 = System.nanoTime();
                        c.commitSync(inFlight.next());
                        stats.commitNanos.add(System.nanoTime() - c0);
                        stats.events.add(inFlight.count());
                        stats.batches.increment();
                    } catch (WakeupException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        // The database (or the commit) failed: read this batch and the one just polled again
                        // after a pause rather than skip history. Replaying is safe: every write is idempotent.
                        LOG.warnf(e, "Could not record %d events, retrying", inFlight.count());
                        stats.failures.increment();
                        rewind(c, inFlight, next);
                        inFlight = null;
                        tx = null;
                        pause();
                        continue;
                    }
                    inFlight = null;
                    tx = null;
                }
                if (next != null) {
                    if (next.events().isEmpty()) {
                        commitQuietly(c, next);
                    } else {
                        inFlight = next;
                        List<Event> events = next.events();
                        tx = db.withTransaction(t -> writer.applyAll(t, events)).subscribeAsCompletionStage()
                                .thenApply(v -> (Void) null)
                                .orTimeout(60, TimeUnit.SECONDS);
                    }
                }
            }
            if (tx != null) {
                try {
                    tx.join();
                    c.commitSync(inFlight.next());
                } catch (RuntimeException e) {
                    LOG.debug("Last batch left uncommitted at shutdown; it is read again at the next start", e);
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

    private Batch decode(ConsumerRecords<String, byte[]> records) {
        long d0 = System.nanoTime();
        List<Event> events = new ArrayList<>(records.count());
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> part = records.records(tp);
            first.put(tp, part.getFirst().offset());
            next.put(tp, new OffsetAndMetadata(part.getLast().offset() + 1));
        }
        for (ConsumerRecord<String, byte[]> r : records) {
            decode(r).ifPresent(ce -> events.add(ce.data()));
        }
        stats.decodeNanos.add(System.nanoTime() - d0);
        return new Batch(events, records.count(), first, next);
    }

    /** A batch of nothing but unreadable records: move past it (they were logged). */
    private void commitQuietly(KafkaConsumer<String, byte[]> c, Batch b) {
        c.commitSync(b.next());
        stats.events.add(b.count());
        stats.batches.increment();
    }

    private void afterTransaction(List<Event> events) {
        long j0 = System.nanoTime();
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

    private static void rewind(KafkaConsumer<String, byte[]> c, Batch failed, Batch polledAfter) {
        Map<TopicPartition, Long> from = new HashMap<>();
        if (polledAfter != null) {
            from.putAll(polledAfter.first());
        }
        from.putAll(failed.first()); // the failed batch's offsets are the earlier ones
        from.forEach((tp, offset) -> {
            if (c.assignment().contains(tp)) { // else taken away by a rebalance: its new owner starts from the last commit
                c.seek(tp, offset);
            }
        });
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
