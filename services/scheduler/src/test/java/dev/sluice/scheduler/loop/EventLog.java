package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * What a downstream consumer sees on some topics: every record from the beginning, read committed unless asked
 * otherwise. Tests wait on it for what a user would check.
 */
public final class EventLog implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<CloudEvent<Event>> events = new ArrayList<>();
    private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();

    public EventLog(String bootstrap, boolean readCommitted, String... topics) {
        var cfg = KafkaSettings.consumer(bootstrap, null, "test-log-" + UUID.randomUUID());
        if (!readCommitted) {
            cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        }
        consumer = new KafkaConsumer<>(cfg);
        List<TopicPartition> parts = new ArrayList<>();
        for (String t : topics) {
            consumer.partitionsFor(t, Duration.ofSeconds(30)).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    public EventLog(String bootstrap, String... topics) {
        this(bootstrap, true, topics);
    }

    /** Reads what has arrived so far. */
    public List<CloudEvent<Event>> poll() {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            records.add(r);
            KafkaCloudEvents.fromRecord(r).ifPresent(events::add);
        }
        return events;
    }

    public List<ConsumerRecord<String, byte[]>> records() {
        return records;
    }

    public <T extends Event> List<T> all(Class<T> type) {
        return events.stream().map(CloudEvent::data).filter(type::isInstance).map(type::cast).toList();
    }

    public List<CloudEvent<Event>> events() {
        return events;
    }

    /** Reads until {@code done} holds; fails after {@code timeout} with what was seen. */
    public void await(Duration timeout, String what, Predicate<EventLog> done) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            poll();
            if (done.test(this)) {
                return;
            }
        }
        throw new AssertionError("Timed out waiting for " + what + "; saw " + events.stream().map(CloudEvent::data).toList());
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }

    public static void publish(String bootstrap, Event... events) {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaSettings.producer(bootstrap, "test-publisher"))) {
            for (Event e : events) {
                p.send(KafkaCloudEvents.toRecord("sluice/test", e)).get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
