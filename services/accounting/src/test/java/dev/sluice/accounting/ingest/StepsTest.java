package dev.sluice.accounting.ingest;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.contracts.step.Usage;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * srun steps as the node agents report them: every node of a step sends its own step.started/step.finished with the
 * same job and step id. sacct shows one line per step (42.0, 42.1): CPU summed over the nodes, the largest MaxRSS,
 * the union of the nodes, the worst state and exit code; and the same reports read again change nothing.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class StepsTest {
    static final Instant T = Instant.parse("2026-01-25T08:00:00Z");

    static List<Event> steps(long id) {
        List<Event> e = new ArrayList<>(JobLife.lifecycle(id, "ivy", T.minusSeconds(60), T, T.plusSeconds(600),
                JobState.COMPLETED, 0));
        // step 0 on three nodes, all fine
        for (String node : List.of("node01", "node02", "node03")) {
            e.add(new StepStarted(id, "0", node, T.plusSeconds(10), 100));
        }
        e.add(new StepFinished(id, "0", "node01", T.plusSeconds(100), JobState.COMPLETED, 0, 0,
                new Usage(10_000, 1_000, 50_000), null));
        e.add(new StepFinished(id, "0", "node02", T.plusSeconds(110), JobState.COMPLETED, 0, 0,
                new Usage(20_000, 2_000, 80_000), null));
        e.add(new StepFinished(id, "0", "node03", T.plusSeconds(105), JobState.COMPLETED, 0, 0,
                new Usage(30_000, 3_000, 70_000), null));
        // step 1 on two nodes: one exits 3, so the step failed with 3:0
        e.add(new StepStarted(id, "1", "node01", T.plusSeconds(120), 200));
        e.add(new StepStarted(id, "1", "node02", T.plusSeconds(121), 201));
        e.add(new StepFinished(id, "1", "node02", T.plusSeconds(130), JobState.FAILED, 3, 0,
                new Usage(500, 100, 9_000), null));
        e.add(new StepFinished(id, "1", "node01", T.plusSeconds(140), JobState.COMPLETED, 0, 0,
                new Usage(700, 200, 8_000), null));
        // step 2: one node has not reported its end yet
        e.add(new StepStarted(id, "2", "node01", T.plusSeconds(150), 300));
        e.add(new StepStarted(id, "2", "node02", T.plusSeconds(150), 301));
        e.add(new StepFinished(id, "2", "node01", T.plusSeconds(160), JobState.COMPLETED, 0, 0,
                new Usage(1, 1, 1), null));
        return e;
    }

    static String sacct(long id) {
        return given().queryParam("jobs", Long.toString(id)).get("/api/v1/sacct").then().statusCode(200).extract()
                .asString();
    }

    @Test
    void partsOfAStepFromEveryNodeAreMergedOnce() {
        TestKafka.send(steps(9701));
        TestKafka.awaitConsumed();
        JsonPath j = new JsonPath(sacct(9701));
        assertThat(j.getList("[0].steps.jobIdFull")).containsExactly("9701.batch", "9701.0", "9701.1", "9701.2");
        String s0 = "[0].steps.find { it.stepId == '0' }.";
        assertThat(j.getString(s0 + "nodeList")).isEqualTo("node[01-03]");
        assertThat(j.getLong(s0 + "totalCpuMs")).isEqualTo(66_000);
        assertThat(j.getLong(s0 + "maxRssKb")).isEqualTo(80_000);
        assertThat(j.getString(s0 + "state")).isEqualTo("COMPLETED");
        assertThat(j.getLong(s0 + "elapsedSeconds")).isEqualTo(100); // earliest start to latest end
        String s1 = "[0].steps.find { it.stepId == '1' }.";
        assertThat(j.getString(s1 + "state")).isEqualTo("FAILED");
        assertThat(j.getString(s1 + "exitCode")).isEqualTo("3:0");
        assertThat(j.getString(s1 + "nodeList")).isEqualTo("node[01-02]");
        assertThat(j.getLong(s1 + "totalCpuMs")).isEqualTo(1_500);
        String s2 = "[0].steps.find { it.stepId == '2' }.";
        assertThat(j.getString(s2 + "state")).isEqualTo("RUNNING");
        assertThat(j.getString(s2 + "end")).isNull();
        // the job's DerivedExitCode is the worst srun step's
        assertThat(j.getString("[0].derivedExitCode")).isEqualTo("3:0");
        // the job's MaxRSS is the largest of any step on any node
        assertThat(j.getLong("[0].maxRssKb")).isEqualTo(80_000);

        TestKafka.send(steps(9701));
        TestKafka.awaitConsumed();
        // step 2 still runs, so its elapsed time grows; everything else must be exactly as before
        JsonPath again = new JsonPath(sacct(9701));
        String finished = "[0].steps.findAll { it.stepId != '2' }";
        assertThat(again.getList(finished)).isEqualTo(j.getList(finished));
        assertThat(again.getLong("[0].totalCpuMs")).isEqualTo(j.getLong("[0].totalCpuMs"));
        assertThat(again.getString("[0].steps.find { it.stepId == '2' }.nodeList")).isEqualTo("node[01-02]");
    }
}
