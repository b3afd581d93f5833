package dev.sluice.accounting.ingest;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Job arrays in sacct, from the events the scheduler sends for them: a row per task named {@code A_i} with its own
 * raw id and the array's user and request, the pending remainder as {@code A_[2%1]}, and {@code -j A} listing them
 * all, whichever of the array's submission and its tasks' events is read first. Ids 66201.. are this class's own
 * (the accounting tests share one database).
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class ArraySacctTest {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @Test
    void tasksAreRowsOfTheirOwnAndTheRemainderShowsWhatStillWaits() {
        List<Event> events = new ArrayList<>();
        events.add(submitted(66201));
        events.addAll(tasks(66201));
        TestKafka.send(events);

        JsonPath json = awaitSacct(Map.of("jobs", "66201"), j -> j.getList("").size() == 3
                && "COMPLETED".equals(j.getString("[1].state")));
        assertThat(json.getList("jobId")).containsExactly("66201_0", "66201_1", "66201_[2%1]");
        assertThat(json.getList("jobIdRaw").stream().map(Object::toString).toList())
                .containsExactly("66201", "66202", "66203");
        assertThat(json.getList("state")).containsExactly("COMPLETED", "COMPLETED", "PENDING");
        assertThat(json.getList("user")).containsExactly("alice", "alice", "alice");
        assertThat(json.getList("jobName")).containsOnly("arr");
    }

    @Test
    void tasksReadBeforeTheArraysSubmissionGetItsUserOnceItArrives() {
        TestKafka.send(tasks(66301));
        TestKafka.send(List.of(submitted(66301)));

        JsonPath json = awaitSacct(Map.of("jobs", "66301"), j -> j.getList("").size() == 3
                && j.getList("user").stream().allMatch("alice"::equals));
        assertThat(json.getList("jobId")).containsExactly("66301_0", "66301_1", "66301_[2%1]");
    }

    private static JobSubmitted submitted(long a) {
        JobSpec spec = new JobSpec("arr", "cpu", "research", "normal", "#!/bin/bash\nexit 0\n", "/home/alice",
                "slurm-%A_%a.out", null, Map.of(), Resources.of(1, 1, null), 60, null, null, null, null, null, null,
                null, null, null, "0-2%1", null);
        return new JobSubmitted(a, NOW.minusSeconds(100), new Owner("alice", 1001, 1001), spec);
    }

    /** What the scheduler sends for --array=0-2%1 as A: 0 and 1 ran, 2 still waits (as job A+2). */
    private static List<Event> tasks(long a) {
        Instant t = NOW.minusSeconds(90);
        return List.of(
                state(a, 1, null, JobState.PENDING, t, null, a, null, "0-2%1"),
                state(a, 2, JobState.PENDING, JobState.RUNNING, t.plusSeconds(1), null, a, 0, null),
                state(a + 1, 1, null, JobState.PENDING, t.plusSeconds(1), null, a, null, "1-2%1"),
                state(a, 3, JobState.RUNNING, JobState.COMPLETED, t.plusSeconds(5), 0, a, 0, null),
                state(a + 1, 2, JobState.PENDING, JobState.RUNNING, t.plusSeconds(6), null, a, 1, null),
                state(a + 2, 1, null, JobState.PENDING, t.plusSeconds(6), null, a, null, "2%1"),
                state(a + 1, 3, JobState.RUNNING, JobState.COMPLETED, t.plusSeconds(9), 0, a, 1, null));
    }

    private static JobStateChanged state(long id, long version, JobState previous, JobState next, Instant time,
                                         Integer exit, long arrayJobId, Integer taskId, String pending) {
        String nodes = next == JobState.PENDING ? null : "node01";
        return new JobStateChanged(id, version, previous, next, "None", null, time, exit, exit == null ? null : 0,
                nodes, arrayJobId, taskId, pending);
    }

    private static JsonPath awaitSacct(Map<String, String> params, Predicate<JsonPath> done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonPath json = given().queryParams(params).when().get("/api/v1/sacct").then().statusCode(200)
                    .extract().jsonPath();
            if (!json.getList("").isEmpty() && done.test(json)) {
                return json;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("sacct " + params + " never got there: " + json.prettify());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
