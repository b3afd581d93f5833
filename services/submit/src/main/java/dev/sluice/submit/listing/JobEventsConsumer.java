package dev.sluice.submit.listing;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.TopicSetup;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Feeds the jobs read model from Kafka on a thread of its own: job submissions from {@code sluice.job.commands}
 * (so a fresh database, or a second instance, learns every job) and state changes and allocations from
 * {@code sluice.job.events}. Offsets are committed only after the batch is in the database; a crash replays the
 * batch, which the store's idempotent upserts absorb.
 */
@ApplicationScoped
public class JobEventsConsumer {
    private static final Logger LOG = Logger.getLogger(JobEventsConsumer.class);

    private final String bootstrapServers;
    private final JobStore store;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public JobEventsConsumer(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                             JobStore store) {
        this.bootstrapServers = bootstrapServers;
        this.store = store;
    }

    void onStart(@Observes StartupEvent ignored) {
        thread = Thread.ofPlatform().name("submit-job-events").daemon().start(this::run);
    }

    void onStop(@Observes ShutdownEvent ignored) throws InterruptedException {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            thread.join(10_000);
        }
    }

    private void run() {
        while (running) {
            try {
                TopicSetup.ensureTopics(bootstrapServers, (short) 1);
                String group = "sluice-submit-" + store.readModelId();
                try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(
                        KafkaSettings.consumer(bootstrapServers, group, "sluice-submit-read-model"))) {
                    consumer = c;
                    c.subscribe(List.of(Topics.JOB_COMMANDS, Topics.JOB_EVENTS));
                    while (running) {
                        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(500));
                        for (ConsumerRecord<String, byte[]> r : records) {
                            apply(r);
                        }
                        if (!records.isEmpty()) {
                            c.commitSync();
                        }
                    }
                } finally {
                    consumer = null;
                }
            } catch (WakeupException e) {
                // shutting down
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                // Kafka or the database is away: start over from the last committed offsets once it is back.
                LOG.warnf("Job read model consumer failed, retrying: %s", e.toString());
                sleep();
            }
        }
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        Optional<CloudEvent<Event>> event;
        try {
            event = KafkaCloudEvents.fromRecord(r);
        } catch (IllegalArgumentException e) {
            // A malformed record would block the partition forever if retried; it is logged and skipped.
            LOG.errorf("Skipping malformed record %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), e.getMessage());
            return;
        }
        event.map(CloudEvent::data).ifPresent(data -> {
            switch (data) {
                case JobSubmitted s -> store.recordSubmitted(s);
                case JobStateChanged s -> store.applyStateChange(s);
                case AllocationGranted a -> store.applyAllocation(a);
                default -> {
                    // other job commands (cancel, ...) do not change what a listing shows
                }
            }
        });
    }

    private static void sleep() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
