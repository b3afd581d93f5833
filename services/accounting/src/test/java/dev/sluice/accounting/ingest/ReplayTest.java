package dev.sluice.accounting.ingest;

import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replaying every topic accounting reads, twice, leaves every table as it was: the test dumps all tables, copies
 * every record on the job command, job event and step event topics (whatever the other tests and this one put
 * there) back onto the same topics two times, waits until accounting has consumed them, and compares the dumps.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class ReplayTest {
    static final List<String> TABLES = List.of("jobs", "job_steps", "acct_clusters", "acct_accounts", "acct_users",
            "acct_associations", "acct_qos");

    @Inject
    DataSource dataSource;

    @Test
    void replayingEveryTopicTwiceLeavesTheDatabaseUnchanged() throws Exception {
        TestKafka.send(StepsTest.steps(9801));
        TestKafka.send(JobLife.lifecycle(9802, "jim", java.time.Instant.parse("2026-01-26T00:00:00Z"),
                java.time.Instant.parse("2026-01-26T00:01:00Z"), null, null, 0)); // still running
        TestKafka.awaitConsumed();
        Map<String, List<String>> before = dump();
        assertThat(before.get("jobs")).hasSizeGreaterThanOrEqualTo(2);
        assertThat(before.get("job_steps")).isNotEmpty();

        List<ConsumerRecord<String, byte[]>> all = readAll();
        assertThat(all).hasSizeGreaterThan(20);
        resend(all);
        resend(all);
        TestKafka.awaitConsumed();

        Map<String, List<String>> after = dump();
        for (String t : TABLES) {
            assertThat(after.get(t)).as(t).isEqualTo(before.get(t));
        }
    }

    /** Every row of every table as JSON text, in key order. */
    private Map<String, List<String>> dump() throws SQLException {
        Map<String, List<String>> out = new HashMap<>();
        try (Connection c = dataSource.getConnection()) {
            for (String t : TABLES) {
                List<String> rows = new ArrayList<>();
                try (ResultSet r = c.createStatement().executeQuery(
                        "SELECT to_jsonb(t)::text FROM " + t + " t ORDER BY 1")) {
                    while (r.next()) {
                        rows.add(r.getString(1));
                    }
                }
                out.put(t, rows);
            }
        }
        return out;
    }

    private static List<ConsumerRecord<String, byte[]>> readAll() {
        Map<String, Object> props = new HashMap<>(KafkaSettings.consumer(SluiceTestInfra.bootstrapServers,
                "replay-test-" + UUID.randomUUID(), "replay-test"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (var c = new KafkaConsumer<String, byte[]>(props)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : HistoryConsumer.TOPICS) {
                c.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(p -> c.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read the topics to their ends " + ends);
                }
                c.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }

    private static void resend(List<ConsumerRecord<String, byte[]>> records) throws Exception {
        try (var p = new KafkaProducer<String, byte[]>(
                KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "replay-test"))) {
            List<Future<?>> sent = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : records) {
                sent.add(p.send(new ProducerRecord<>(r.topic(), r.partition(), r.key(), r.value(), r.headers())));
            }
            for (Future<?> f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
    }
}
