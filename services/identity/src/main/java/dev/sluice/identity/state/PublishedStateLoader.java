package dev.sluice.identity.state;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds what identity last published by reading {@code sluice.identity.events} from the beginning to its end
 * (read_committed, so an aborted sync counts for nothing). Identity keeps no other store: Kafka holds its state.
 */
public final class PublishedStateLoader {
    private PublishedStateLoader() {
    }

    public static IdentityState load(String bootstrapServers) {
        IdentityState state = new IdentityState();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                KafkaSettings.consumer(bootstrapServers, null, "sluice-identity-rebuild"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.IDENTITY_EVENTS, Duration.ofSeconds(30))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                // events of one key share a partition, so applying each partition in order gives the last word
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    KafkaCloudEvents.fromRecord(r).ifPresent(ce -> state.apply(ce.data()));
                }
            }
        }
        return state;
    }
}
