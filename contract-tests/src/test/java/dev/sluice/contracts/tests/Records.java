package dev.sluice.contracts.tests;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.TimestampType;

import java.util.Optional;

/** Turns what a producer would send into what a consumer would receive, without a broker in between. */
final class Records {
    private Records() {
    }

    static ConsumerRecord<String, byte[]> consumed(ProducerRecord<String, byte[]> p) {
        return consumed(p.topic(), p.key(), p.value(), p.headers());
    }

    static ConsumerRecord<String, byte[]> consumed(String topic, String key, byte[] value, Headers headers) {
        return new ConsumerRecord<>(topic, 0, 0L, 0L, TimestampType.CREATE_TIME, -1, -1, key, value, headers,
                Optional.empty());
    }
}
