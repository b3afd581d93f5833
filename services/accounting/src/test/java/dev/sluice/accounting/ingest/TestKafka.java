package dev.sluice.accounting.ingest;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Talks to the test broker the way the other services do: CloudEvents records, acks=all. */
final class TestKafka {
    private TestKafka() {
    }

    static void send(List<? extends Event> events) {
        try (var producer = new KafkaProducer<String, byte[]>(
                KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "accounting-test"))) {
            for (Event e : events) {
                producer.send(KafkaCloudEvents.toRecord("test/accounting", e)).get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until the accounting group has committed every record now on its topics. Its commit follows the
     * database write, so after this the tables reflect everything produced so far.
     */
    static void awaitConsumed() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SluiceTestInfra.bootstrapServers))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (var d : admin.describeTopics(HistoryConsumer.TOPICS).allTopicNames().get().values()) {
                    d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()),
                            OffsetSpec.latest()));
                }
                var ends = admin.listOffsets(latest).all().get();
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets("sluice-accounting").partitionsToOffsetAndMetadata().get();
                boolean caughtUp = ends.entrySet().stream().allMatch(e -> {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    return (c == null ? 0 : c.offset()) >= e.getValue().offset();
                });
                if (caughtUp) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("accounting did not consume everything: ends " + ends
                            + ", committed " + committed);
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
