package dev.sluice.submit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobCancelRequested;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "submit"))
class SubmitApiTest {

    /** The seed's hello_world script, Korean comments included. */
    static final String HELLO_WORLD = """
            #!/bin/bash
            #SBATCH --job-name=hello_world      # 작업 이름
            #SBATCH --output=hello_world.out    # 표준 출력 파일 이름
            #SBATCH --error=hello_world.err     # 표준 에러 파일 이름
            #SBATCH --time=00:05:00             # 작업 시간 제한 (HH:MM:SS)
            #SBATCH --partition=cpu             # 파티션 이름
            #SBATCH --ntasks=1                  # 총 실행할 작업 수
            #SBATCH --cpus-per-task=1           # 작업당 CPU 코어 수
            #SBATCH --mem=1G                    # 작업당 메모리 요구량

            # 실행할 명령어
            echo "Running in cpu partition"
            """;

    static ObjectNode body(String script, String... args) {
        ObjectNode b = JsonNodeFactory.instance.objectNode();
        b.put("script", script);
        b.put("workDir", "/home/alice");
        b.put("user", "alice");
        b.put("uid", 1000);
        b.put("gid", 1000);
        b.putArray("args").addAll(Stream.of(args).map(JsonNodeFactory.instance::textNode).toList());
        return b;
    }

    static Response post(Object body) {
        return given().contentType(ContentType.JSON).body(body.toString()).when().post("/api/v1/jobs");
    }

    static long submit(String script, String... args) {
        Response r = post(body(script, args));
        r.then().statusCode(201);
        return r.jsonPath().getLong("jobId");
    }

    @Test
    void helloWorldIsSubmittedAndItsSpecIsOnKafka() {
        ObjectNode b = body(HELLO_WORLD);
        b.put("scriptName", "hello_world.sh");
        Response r = post(b);
        r.then().statusCode(201);
        long id = r.jsonPath().getLong("jobId");
        assertThat(id).isPositive();
        assertThat(r.jsonPath().getString("message")).isEqualTo("Submitted batch job " + id);

        ConsumerRecord<String, byte[]> rec = findRecord(Topics.JOB_COMMANDS, String.valueOf(id),
                "sluice.job.submitted.v1");
        assertThat(KafkaCloudEvents.header(rec.headers(), KafkaCloudEvents.ID)).isEqualTo("job-submitted-" + id);
        assertThat(KafkaCloudEvents.header(rec.headers(), KafkaCloudEvents.SOURCE)).isEqualTo("sluice/submit");
        JobSubmitted s = (JobSubmitted) KafkaCloudEvents.fromRecord(rec).orElseThrow().data();
        assertThat(s.jobId()).isEqualTo(id);
        assertThat(s.owner().user()).isEqualTo("alice");
        assertThat(s.owner().uid()).isEqualTo(1000);
        assertThat(s.spec().name()).isEqualTo("hello_world");
        assertThat(s.spec().partition()).isEqualTo("cpu");
        assertThat(s.spec().resources().ntasks()).isEqualTo(1);
        assertThat(s.spec().resources().cpusPerTask()).isEqualTo(1);
        assertThat(s.spec().resources().memPerNodeMb()).isEqualTo(1024);
        assertThat(s.spec().timeLimitMinutes()).isEqualTo(5);
        assertThat(s.spec().stdout()).isEqualTo("hello_world.out");
        assertThat(s.spec().stderr()).isEqualTo("hello_world.err");
        assertThat(s.spec().script()).isEqualTo(HELLO_WORLD);
        assertThat(s.spec().workDir()).isEqualTo("/home/alice");

        given().get("/api/v1/jobs/" + id).then().statusCode(200)
                .body("jobId", equalTo((int) id))
                .body("name", equalTo("hello_world"))
                .body("user", equalTo("alice"))
                .body("state", equalTo("PENDING"))
                .body("stateShort", equalTo("PD"))
                .body("reason", equalTo("None"))
                .body("timeLimitMinutes", equalTo(5))
                .body("numCpus", equalTo(1))
                .body("memMb", equalTo(1024))
                .body("stdout", equalTo("hello_world.out"));
        List<Long> listed = given().get("/api/v1/jobs?user=alice").jsonPath().getList("jobId", Long.class);
        assertThat(listed).contains(id).isSorted();
    }

    @Test
    void jobIdsIncrease() {
        long first = submit("#!/bin/sh\nhostname\n");
        long second = submit("#!/bin/sh\nhostname\n");
        assertThat(second).isGreaterThan(first);
        given().get("/api/v1/jobs/" + second).then().statusCode(200).body("name", equalTo("sbatch"));
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of(body("").toString(), "Batch script is empty!"),
                Arguments.of(body("echo hi\n").toString(), "This does not look like a batch script.  The first "
                        + "line must start with #! followed by the path to an interpreter."),
                Arguments.of(body("#!/bin/sh\n", "--partition=nosuch").toString(),
                        "Batch job submission failed: Invalid partition name specified"),
                Arguments.of(body("#!/bin/sh\n", "--ntasks=0").toString(), "Invalid numeric value \"0\" for --ntasks."),
                Arguments.of(body("#!/bin/sh\n", "--mem=lots").toString(), "Invalid --mem specification"),
                Arguments.of(body("#!/bin/sh\n", "--time=soon").toString(), "Invalid --time specification"),
                Arguments.of(body("#!/bin/sh\n", "--foo").toString(), "unrecognized option '--foo'"),
                Arguments.of(body("#!/bin/sh\n").put("ntasks", "zero").toString(),
                        "Invalid numeric value \"zero\" for --ntasks."),
                Arguments.of(body("#!/bin/sh\n").put("uid", "root").toString(),
                        "Invalid value for field \"uid\" in the job request"),
                Arguments.of(body("#!/bin/sh\n").put("colour", "red").toString(),
                        "Unknown field \"colour\" in the job request"),
                Arguments.of(body("#!/bin/sh\n").putNull("user").toString(),
                        "Missing user: the request must name the submitting user"),
                Arguments.of("{\"script\": ", null),
                Arguments.of("", "Malformed JSON body: the request body is empty"));
    }

    @ParameterizedTest
    @MethodSource("badRequests")
    void badRequestsGet400WithSlurmsMessage(String body, String message) {
        Response r = given().contentType(ContentType.JSON).body(body).when().post("/api/v1/jobs");
        r.then().statusCode(400).contentType(ContentType.JSON);
        String error = r.jsonPath().getString("error");
        if (message == null) {
            assertThat(error).startsWith("Malformed JSON body: ");
        } else {
            assertThat(error).isEqualTo(message);
        }
    }

    @Test
    void stateChangesShowUpAndOlderVersionsDoNotOverwriteNewerOnes() throws Exception {
        long id = submit("#!/bin/sh\nhostname\n", "-n", "2");
        Instant t = Instant.now();
        publish(new JobStateChanged(id, 2, JobState.PENDING, JobState.RUNNING, "None", null, t, null, null,
                "node[01-02]"));
        JobSnapshot running = awaitJob(id, j -> j.state.equals("RUNNING"));
        assertThat(running.stateShort).isEqualTo("R");
        assertThat(running.nodes).isEqualTo("node[01-02]");
        assertThat(running.numNodes).isEqualTo(2);
        assertThat(running.startTime).isNotNull();

        // An older version arriving late must change nothing; the allocation after it (same key, so same
        // partition, read in order) tells the test the stale event has been processed.
        publish(new JobStateChanged(id, 1, null, JobState.PENDING, "Priority", null, t, null, null, null));
        publish(new AllocationGranted(id, t, List.of(
                new NodeAllocation("node01", 1, List.of(0, 1, 2), 100, List.of()),
                new NodeAllocation("node02", 1, List.of(0, 1, 2), 100, List.of()))));
        JobSnapshot after = awaitJob(id, j -> j.numCpus == 6);
        assertThat(after.state).isEqualTo("RUNNING");
        assertThat(after.reason).isEqualTo("None");

        List<Long> running1 = given().get("/api/v1/jobs?states=R&user=nobody,alice").jsonPath().getList("jobId", Long.class);
        assertThat(running1).contains(id);
        assertThat(given().get("/api/v1/jobs?user=nobody").jsonPath().getList("jobId", Long.class)).isEmpty();
        List<Long> pending = given().get("/api/v1/jobs?states=PENDING").jsonPath().getList("jobId", Long.class);
        assertThat(pending).doesNotContain(id);

        publish(new JobStateChanged(id, 3, JobState.RUNNING, JobState.COMPLETED, "None", null, t, 0, 0,
                "node[01-02]"));
        JobSnapshot done = awaitJob(id, j -> j.state.equals("COMPLETED"));
        assertThat(done.exitCode).isZero();
        assertThat(done.endTime).isNotNull();
        assertThat(given().get("/api/v1/jobs").jsonPath().getList("jobId", Long.class)).doesNotContain(id);
        assertThat(given().get("/api/v1/jobs?jobs=" + id).jsonPath().getList("jobId", Long.class))
                .containsExactly(id);

        given().delete("/api/v1/jobs/" + id).then().statusCode(409)
                .body("error", equalTo("Job/step already completing or completed"));
    }

    @Test
    void cancelPublishesJobCancelRequested() {
        long id = submit("#!/bin/sh\nsleep 100\n");
        given().delete("/api/v1/jobs/" + id + "?user=alice").then().statusCode(202)
                .body("message", equalTo("Cancel requested for job " + id));
        ConsumerRecord<String, byte[]> rec = findRecord(Topics.JOB_COMMANDS, String.valueOf(id),
                "sluice.job.cancel-requested.v1");
        JobCancelRequested c = (JobCancelRequested) KafkaCloudEvents.fromRecord(rec).orElseThrow().data();
        assertThat(c.jobId()).isEqualTo(id);
        assertThat(c.requestedBy()).isEqualTo("alice");
    }

    @Test
    void unknownJobsAre404() {
        given().delete("/api/v1/jobs/987654321").then().statusCode(404)
                .body("error", equalTo("Invalid job id specified"));
        given().get("/api/v1/jobs/987654321").then().statusCode(404)
                .body("error", equalTo("Invalid job id specified"));
        given().get("/api/v1/jobs/abc").then().statusCode(400)
                .body("error", equalTo("Invalid job id specified"));
        given().get("/api/v1/jobs?states=SLEEPY").then().statusCode(400)
                .body("error", equalTo("Invalid job state specified: SLEEPY"));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    record JobSnapshot(String state, String stateShort, String reason, String nodes, Integer numNodes,
                       Integer numCpus, String startTime, String endTime, Integer exitCode) {
    }

    static JobSnapshot job(long id) {
        var p = given().get("/api/v1/jobs/" + id).then().statusCode(200).extract().jsonPath();
        return new JobSnapshot(p.getString("state"), p.getString("stateShort"), p.getString("reason"),
                p.getString("nodes"), p.get("numNodes"), p.get("numCpus"), p.getString("startTime"),
                p.getString("endTime"), p.get("exitCode"));
    }

    static JobSnapshot awaitJob(long id, Predicate<JobSnapshot> condition) {
        return await(() -> job(id), condition, "job " + id + " to reach the expected state");
    }

    static <T> T await(Supplier<T> probe, Predicate<T> condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (last != null && condition.test(last)) {
                return last;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("Gave up waiting for " + what + "; last seen: " + last);
    }

    static void publish(Event event) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(
                KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "submit-test"))) {
            p.send(KafkaCloudEvents.toRecord("sluice/test", event)).get();
        }
    }

    static ConsumerRecord<String, byte[]> findRecord(String topic, String key, String type) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(
                KafkaSettings.consumer(SluiceTestInfra.bootstrapServers, null, "submit-test-reader"))) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map((PartitionInfo p) -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            return await(() -> {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key()) && type.equals(KafkaCloudEvents.header(r.headers(), KafkaCloudEvents.TYPE))) {
                        return r;
                    }
                }
                return null;
            }, r -> true, type + " for key " + key + " on " + topic);
        }
    }
}
