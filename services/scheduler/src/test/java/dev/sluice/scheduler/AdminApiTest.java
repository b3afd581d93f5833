package dev.sluice.scheduler;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.infra.SluiceTestInfra;
import dev.sluice.scheduler.loop.EventLog;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;

/**
 * scontrol's admin operations over REST: drain and resume a node with a reason, show node, job and partition.
 * Uses its own node (node09, 8 CPUs) and leaves it drained, so the other tests' jobs keep landing on node01.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "postgres", value = "false"))
class AdminApiTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void drainingANodeKeepsAWideJobOffItUntilResumedAndScontrolShowsWhy() {
        given().contentType(ContentType.JSON).body("{\"state\":\"DRAIN\",\"reason\":\"x\"}")
                .post("/api/v1/admin/nodes/nope/state").then().statusCode(404)
                .body("error", is("Invalid node name specified"));
        EventLog.publish(SluiceTestInfra.bootstrapServers, new NodeRegistered("node09", "boot-9", Instant.now(),
                "node09", "127.0.0.1:6839", 8, 1, 8, 1, List.of(0, 1, 2, 3, 4, 5, 6, 7), 8192, List.of(), List.of(),
                List.of()));
        await(() -> given().get("/api/v1/nodes/node09").statusCode() == 200);
        given().contentType(ContentType.JSON).body("{\"state\":\"DRAIN\"}")
                .post("/api/v1/admin/nodes/node09/state").then().statusCode(400)
                .body("error", is("You must specify a reason when DOWNING or DRAINING a node. Request denied"));
        given().contentType(ContentType.JSON).body("{\"state\":\"DRAIN\",\"reason\":\"bad DIMM\",\"user\":\"alice\"}")
                .post("/api/v1/admin/nodes/node09/state").then().statusCode(200);
        given().get("/api/v1/nodes/node09").then().statusCode(200)
                .body("State", is("DRAINED")).body("Reason", is("bad DIMM")).body("CPUTot", is(8));
        // sinfo -R's USER and TIMESTAMP
        given().get("/api/v1/nodes").then().statusCode(200)
                .body("nodes.find { it.name == 'node09' }.reasonUser", is("alice"))
                .body("nodes.find { it.name == 'node09' }.reasonTime", org.hamcrest.Matchers.notNullValue());

        // 6 tasks fit only on node09 (node01 has 2 CPUs): it waits while node09 is drained.
        long id = 900;
        JobSubmitted wide = SchedulerServiceTest.withResources(SchedulerServiceTest.helloWorld(id),
                Resources.of(6, 1, 100L));
        try (EventLog log = new EventLog(SluiceTestInfra.bootstrapServers, Topics.JOB_EVENTS)) {
            EventLog.publish(SluiceTestInfra.bootstrapServers, wide);
            log.await(WAIT, "job 900 pending", l -> l.all(JobStateChanged.class).stream()
                    .anyMatch(s -> s.jobId() == id && s.state() == JobState.PENDING));
            await(() -> given().get("/api/v1/jobs/" + id).statusCode() == 200);
            given().get("/api/v1/jobs/" + id).then().body("JobState", is("PENDING"))
                    .body("Reason", is("Resources")).body("NumTasks", is(6));

            given().contentType(ContentType.JSON).body("{\"state\":\"RESUME\"}")
                    .post("/api/v1/admin/nodes/node09/state").then().statusCode(200);
            log.await(WAIT, "job 900 running on node09", l -> l.all(JobStateChanged.class).stream()
                    .anyMatch(s -> s.jobId() == id && s.state() == JobState.RUNNING && "node09".equals(s.nodes())));
            given().get("/api/v1/nodes").then().statusCode(200)
                    .body("nodes.find { it.name == 'node09' }.reasonUser", org.hamcrest.Matchers.nullValue());
        }
        given().contentType(ContentType.JSON).body("{\"state\":\"DRAIN\",\"reason\":\"kept out of other tests\"}")
                .post("/api/v1/admin/nodes/node09/state").then().statusCode(200);
        given().get("/api/v1/jobs/123456789").then().statusCode(404).body("error", is("Invalid job id specified"));
        given().get("/api/v1/partitions/cpu").then().statusCode(200).body("PartitionName", is("cpu"))
                .body("MaxTime", is("UNLIMITED")).body("Default", is("YES"));
        given().post("/api/v1/admin/reconfigure").then().statusCode(200);
    }

    private static void await(java.util.function.BooleanSupplier done) {
        Instant deadline = Instant.now().plus(WAIT);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("waited too long");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
