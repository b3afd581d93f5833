package dev.sluice.submit.access;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.TopicSetup;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Reads identity's and accounting's topics from the beginning into the {@link AccessBook}, on every start (no
 * group, no commits: the book is small and lives in memory). Submissions wait for the first catch-up, so a
 * restarted submit never accepts a job that the users it has not read yet would refuse.
 */
@ApplicationScoped
public class AccessEventsConsumer {
    private static final Logger LOG = Logger.getLogger(AccessEventsConsumer.class);
    private static final List<String> TOPICS = List.of(Topics.IDENTITY_EVENTS, Topics.ACCOUNTING_EVENTS);

    private final String bootstrapServers;
    private final AccessBook book = new AccessBook();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public AccessEventsConsumer(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    void onStart(@Observes StartupEvent ignored) {
        thread = Thread.ofPlatform().name("submit-access-events").daemon().start(this::run);
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

    /** The book once it holds everything published before this submit started (waits up to {@code timeout}). */
    public AccessBook book(Duration timeout) {
        try {
            if (!caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("identity and accounting events not read yet; deciding on what is known so far");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return book;
    }

    private void run() {
        while (running) {
            try {
                TopicSetup.ensureTopics(bootstrapServers, (short) 1);
                try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(
                        KafkaSettings.consumer(bootstrapServers, null, "sluice-submit-access"))) {
                    consumer = c;
                    List<TopicPartition> parts = new ArrayList<>();
                    for (String t : TOPICS) {
                        for (PartitionInfo p : Optional.ofNullable(c.partitionsFor(t)).orElse(List.of())) {
                            parts.add(new TopicPartition(t, p.partition()));
                        }
                    }
                    c.assign(parts);
                    // A retry after a failure starts over too; re-applying the same events gives the same book.
                    c.seekToBeginning(parts);
                    Map<TopicPartition, Long> end = c.endOffsets(parts);
                    while (running) {
                        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                            apply(r);
                        }
                        if (caughtUp.getCount() > 0 && end.entrySet().stream()
                                .allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                            caughtUp.countDown();
                            LOG.infof("access check %s", book.enforcing()
                                    ? "enforced: users or associations are known"
                                    : "not enforced yet: no identity users or user associations (every caller is accepted)");
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
                LOG.warnf("access events consumer failed, retrying: %s", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        try {
            KafkaCloudEvents.fromRecord(r).map(CloudEvent::data).ifPresent(book::apply);
        } catch (IllegalArgumentException e) {
            LOG.errorf("Skipping malformed record %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }
}
