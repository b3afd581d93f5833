package dev.sluice.accounting.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A finished job appears once on sluice.jobcomp with jobcomp/kafka's field names, even when its events replay. */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class JobcompTest {
    @Test
    void aFinishedJobIsPublishedOnceWithSlurmsFieldNames() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant submit = now.minusSeconds(300);
        Instant start = now.minusSeconds(240);
        Instant end = now.minusSeconds(60);
        List<Event> life = JobLife.lifecycle(7301, "alice", submit, start, end, JobState.FAILED, 3);
        // a running job is not finished: nothing for it
        List<Event> running = JobLife.lifecycle(7302, "alice", submit, start, null, JobState.COMPLETED, 0);
        TestKafka.send(running);
        TestKafka.send(life);
        TestKafka.awaitConsumed();
        TestKafka.send(life); // a replay
        TestKafka.awaitConsumed();

        List<JsonNode> records = jobcomp();
        List<JsonNode> mine = records.stream().filter(r -> r.path("jobid").asLong() == 7301).toList();
        assertThat(mine).hasSize(1);
        assertThat(records).noneMatch(r -> r.path("jobid").asLong() == 7302);
        JsonNode r = mine.getFirst();
        assertThat(r.path("username").asText()).isEqualTo("alice");
        assertThat(r.path("user_id").asInt()).isEqualTo(1001);
        assertThat(r.path("group_id").asInt()).isEqualTo(1001);
        assertThat(r.path("state").asText()).isEqualTo("FAILED");
        assertThat(r.path("exit_code").asInt()).isEqualTo(3);
        assertThat(r.path("@submit").asText()).isEqualTo(submit.toString());
        assertThat(r.path("@start").asText()).isEqualTo(start.toString());
        assertThat(r.path("@end").asText()).isEqualTo(end.toString());
        assertThat(r.path("@queue_wait").asLong()).isEqualTo(60);
        assertThat(r.path("elapsed").asLong()).isEqualTo(180);
        assertThat(r.path("partition").asText()).isEqualTo("cpu");
        assertThat(r.path("nodes").asText()).isEqualTo("node01");
        assertThat(r.path("total_cpus").asInt()).isEqualTo(2);
        assertThat(r.path("total_nodes").asInt()).isEqualTo(1);
        assertThat(r.path("account").asText()).isEqualTo("research");
        assertThat(r.path("qos").asText()).isEqualTo("normal");
        assertThat(r.path("tres_alloc").asText()).isEqualTo("billing=6,cpu=2,mem=1G,node=1");
        assertThat(r.path("work_dir").asText()).isEqualTo("/home/alice");
        assertThat(r.path("cluster").asText()).isEqualTo("sluice");
        assertThat(r.has("derived_ec")).isTrue();
    }

    private static List<JsonNode> jobcomp() throws Exception {
        var settings = KafkaSettings.consumer(SluiceTestInfra.bootstrapServers, "test-" + UUID.randomUUID(), "test");
        settings.put("auto.offset.reset", "earliest");
        List<JsonNode> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, byte[]>(settings)) {
            consumer.subscribe(List.of(Topics.JOBCOMP));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int quiet = 0;
            while (System.nanoTime() < deadline && quiet < 3) {
                var records = consumer.poll(Duration.ofSeconds(1));
                quiet = records.isEmpty() && !out.isEmpty() ? quiet + 1 : 0;
                for (ConsumerRecord<String, byte[]> rec : records) {
                    JsonNode n = Json.MAPPER.readTree(rec.value());
                    assertThat(rec.key()).isEqualTo(n.path("jobid").asText());
                    out.add(n);
                }
            }
        }
        return out;
    }
}
