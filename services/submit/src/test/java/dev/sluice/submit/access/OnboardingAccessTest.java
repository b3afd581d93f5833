package dev.sluice.submit.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.contracts.identity.UserUpserted;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's onboarding flow as submit sees it: identity's user events (what an LDAP sync publishes) and
 * accounting's associations decide who may submit where, and identity's uid/gid become the job's owner.
 */
@QuarkusTest
@TestProfile(AccessProfile.class)
class OnboardingAccessTest {
    static final String SCRIPT = "#!/bin/bash\nid\n";
    static final String INVALID = "Batch job submission failed: Invalid account or account/partition combination specified";

    @Test
    void onlyUsersWithAnAssociationSubmitAndTheirJobsCarryIdentitysIds() throws Exception {
        // Nobody is known yet: the local default accepts every caller as who they claim to be.
        Response open = submit("gildong", null, null);
        assertThat(open.statusCode()).as(open.asString()).isEqualTo(201);
        assertThat(owner(open).get("uid").asInt()).isEqualTo(0);

        // Another user synced: the check is on, and gildong, unknown to identity, is refused with Slurm's words.
        publish(user("chulsoo", 2002, 3002, List.of(new AccountAssociation("physics", null, null, 1))));
        awaitStatus("gildong", null, null, 400);
        assertThat(submit("gildong", null, null).jsonPath().getString("error")).isEqualTo(INVALID);

        // The sync maps ai_team to ai_project: gildong submits, and the job runs as uid 2001, gid 3001, whatever
        // the request claimed, under the default account.
        publish(user("gildong", 2001, 3001, List.of(new AccountAssociation("ai_project", "gpu", "normal", 100))));
        Response ok = awaitStatus("gildong", null, null, 201);
        JsonNode submitted = submittedEvent(ok.jsonPath().getLong("jobId"));
        assertThat(submitted.at("/owner/user").asText()).isEqualTo("gildong");
        assertThat(submitted.at("/owner/uid").asInt()).isEqualTo(2001);
        assertThat(submitted.at("/owner/gid").asInt()).isEqualTo(3001);
        assertThat(submitted.at("/spec/account").asText()).isEqualTo("ai_project");

        // An account gildong does not hold is refused.
        Response other = submit("gildong", "physics", null);
        assertThat(other.statusCode()).isEqualTo(400);
        assertThat(other.jsonPath().getString("error")).isEqualTo(INVALID);

        // sacctmgr add user gildong Account=physics Partition=cpu: that pair works, another partition does not.
        publish(new AssociationChanged("cluster", "physics", "gildong", "cpu", "root", 1, Map.of(), List.of(),
                null, null, false, Instant.now()));
        awaitStatus("gildong", "physics", "cpu", 201);

        // gildong leaves ai_team: the next sync drops the account, and new submissions fail again.
        publish(user("gildong", 2001, 3001, List.of()));
        Response gone = awaitStatus("gildong", "ai_project", null, 400);
        assertThat(gone.jsonPath().getString("error")).isEqualTo(INVALID);
    }

    static UserUpserted user(String name, int uid, int gid, List<AccountAssociation> accounts) {
        return new UserUpserted(name, uid, gid, List.of(), name, null, "/bin/bash", accounts, Instant.now());
    }

    static Response submit(String user, String account, String partition) {
        ObjectNode b = JsonNodeFactory.instance.objectNode();
        b.put("script", SCRIPT);
        b.put("workDir", "/tmp");
        b.put("user", user);
        b.put("uid", 0);
        b.put("gid", 0);
        var args = b.putArray("args");
        if (account != null) {
            args.add("--account=" + account);
        }
        if (partition != null) {
            args.add("--partition=" + partition);
        }
        return given().contentType(ContentType.JSON).body(b.toString()).when().post("/api/v1/jobs");
    }

    /** Events reach submit asynchronously: submit until the answer is the one expected (at most a minute). */
    static Response awaitStatus(String user, String account, String partition, int status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Response last;
        do {
            last = submit(user, account, partition);
            if (last.statusCode() == status) {
                return last;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("expected " + status + " for " + user + ", last: " + last.statusCode() + " " + last.asString());
    }

    static JsonNode owner(Response r) throws Exception {
        return submittedEvent(r.jsonPath().getLong("jobId")).get("owner");
    }

    static JsonNode submittedEvent(long jobId) throws Exception {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(
                KafkaSettings.consumer(SluiceTestInfra.bootstrapServers, null, "access-test-reader"))) {
            List<TopicPartition> parts = c.partitionsFor(Topics.JOB_COMMANDS).stream()
                    .map((PartitionInfo p) -> new TopicPartition(Topics.JOB_COMMANDS, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (Long.toString(jobId).equals(r.key()) && "sluice.job.submitted.v1".equals(
                            KafkaCloudEvents.header(r.headers(), KafkaCloudEvents.TYPE))) {
                        return Json.MAPPER.readTree(r.value());
                    }
                }
            }
        }
        throw new AssertionError("no JobSubmitted for job " + jobId);
    }

    static void publish(Event event) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(
                KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "access-test"))) {
            p.send(KafkaCloudEvents.toRecord("sluice/test", event)).get();
        }
    }
}
