package dev.sluice.identity.sync;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.tests.EventValidator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every committed event on sluice.identity.events, as a consumer of identity would read them; each record is
 * checked against the contract (headers, key, JSON Schema) on the way.
 */
final class IdentityTopic {
    private static final EventValidator VALIDATOR = new EventValidator();
    private IdentityTopic() {
    }

    static List<CloudEvent<Event>> readAll(String bootstrapServers) {
        List<CloudEvent<Event>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                KafkaSettings.consumer(bootstrapServers, null, "identity-test-reader"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.IDENTITY_EVENTS, Duration.ofSeconds(30))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = settledEnd(bootstrapServers, consumer, partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    VALIDATOR.requireValid(r);
                    KafkaCloudEvents.fromRecord(r).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    /**
     * The end a read_committed reader will reach once the last transaction's commit markers are written. A sync
     * answers once its transaction is committed, but the brokers write the markers a moment later; until then the
     * last stable offset still stops before the sync's events, and a reader would miss them.
     */
    private static Map<TopicPartition, Long> settledEnd(String bootstrapServers,
                                                        KafkaConsumer<String, byte[]> committed,
                                                        List<TopicPartition> partitions) {
        Map<String, Object> props = new java.util.HashMap<>(
                KafkaSettings.consumer(bootstrapServers, null, "identity-test-watermark"));
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        try (KafkaConsumer<String, byte[]> any = new KafkaConsumer<>(props)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                Map<TopicPartition, Long> stable = committed.endOffsets(partitions, Duration.ofSeconds(30));
                Map<TopicPartition, Long> high = any.endOffsets(partitions, Duration.ofSeconds(30));
                if (stable.equals(high) || System.nanoTime() > deadline) {
                    return stable;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return stable;
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends Event> List<T> ofType(List<CloudEvent<Event>> events, Class<T> type) {
        return events.stream().map(CloudEvent::data).filter(type::isInstance).map(e -> (T) e).toList();
    }
}
