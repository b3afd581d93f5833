package dev.sluice.infra;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedInfraTest {
    @TempDir
    Path dir;

    @Test
    void brokerAcceptsWritesAndKeepsThemAcrossARestart() throws Exception {
        int port;
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
            port = broker.port();
            try (var producer = new KafkaProducer<String, byte[]>(KafkaSettings.producer(broker.bootstrapServers(), "t"))) {
                producer.send(new ProducerRecord<>(Topics.JOB_COMMANDS, "1", "hello".getBytes())).get();
            }
        }
        try (KafkaBroker again = KafkaBroker.start(dir.resolve("kafka"), port)) {
            assertThat(readAll(again.bootstrapServers())).containsExactly("hello");
        }
    }

    @Test
    void postgresCreatesADatabaseAndAnswersQueries() throws Exception {
        try (Postgres pg = Postgres.start(dir.resolve("pg"), 0)) {
            pg.ensureDatabase("sluice_smoke");
            pg.ensureDatabase("sluice_smoke");
            try (var c = DriverManager.getConnection(pg.jdbcUrl("sluice_smoke"), pg.user(), pg.password());
                 var rs = c.createStatement().executeQuery("select 40 + 2")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
        }
    }

    private static List<String> readAll(String bootstrap) {
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, byte[]>(KafkaSettings.consumer(bootstrap, "smoke", "smoke"))) {
            consumer.subscribe(List.of(Topics.JOB_COMMANDS));
            long deadline = System.currentTimeMillis() + 30_000;
            while (values.isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> values.add(new String(r.value())));
            }
        }
        return values;
    }
}
