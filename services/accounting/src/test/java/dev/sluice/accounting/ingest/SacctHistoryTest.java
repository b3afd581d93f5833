package dev.sluice.accounting.ingest;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.JobState;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Accounting against a real broker and a real PostgreSQL: events go in the way scheduler, submit and node agents
 * send them, and what comes out is what a user's sacct would print.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class SacctHistoryTest {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @Test
    void aCompletedJobShowsItsStateExitCodeNodesAndUsage() {
        Instant submit = NOW.minusSeconds(300);
        Instant start = NOW.minusSeconds(240);
        Instant end = NOW.minusSeconds(60);
        TestKafka.send(JobLife.lifecycle(101, "alice", submit, start, end, JobState.COMPLETED, 0));

        JsonPath json = awaitSacct(Map.of("jobs", "101"), j -> "COMPLETED".equals(j.getString("[0].state")));

        assertThat(json.getList("")).hasSize(1);
        assertThat(json.getString("[0].jobId")).isEqualTo("101");
        assertThat(json.getString("[0].user")).isEqualTo("alice");
        assertThat(json.getString("[0].exitCode")).isEqualTo("0:0");
        assertThat(json.getString("[0].nodeList")).isEqualTo("node01");
        assertThat(json.getInt("[0].allocCpus")).isEqualTo(2);
        assertThat(json.getInt("[0].reqCpus")).isEqualTo(2);
        assertThat(json.getLong("[0].elapsedSeconds")).isEqualTo(180);
        assertThat(json.getString("[0].start")).isEqualTo(start.toString());
        assertThat(json.getString("[0].end")).isEqualTo(end.toString());
        assertThat(json.getString("[0].submit")).isEqualTo(submit.toString());
        assertThat(json.getString("[0].reqTres")).isEqualTo("billing=6,cpu=2,mem=1G,node=1");
        // partition cpu bills CPU=1.0,Mem=4G: 2 CPUs + 1 GiB x 4
        assertThat(json.getString("[0].allocTres")).isEqualTo("billing=6,cpu=2,mem=1G,node=1");
        assertThat(json.getInt("[0].timelimitMinutes")).isEqualTo(60);
        assertThat(json.getLong("[0].totalCpuMs")).isEqualTo(1750);
        assertThat(json.getLong("[0].maxRssKb")).isEqualTo(20480);
        assertThat(json.getString("[0].steps[0].jobIdFull")).isEqualTo("101.batch");
        assertThat(json.getString("[0].steps[0].state")).isEqualTo("COMPLETED");
        assertThat(json.getString("[0].steps[0].exitCode")).isEqualTo("0:0");
        assertThat(json.getLong("[0].steps[0].elapsedSeconds")).isEqualTo(180);
    }

    @Test
    void aFailedJobShowsItsExitCode() {
        TestKafka.send(JobLife.lifecycle(102, "alice", NOW.minusSeconds(100), NOW.minusSeconds(90),
                NOW.minusSeconds(80), JobState.FAILED, 3));

        JsonPath json = awaitSacct(Map.of("jobs", "102"), j -> "FAILED".equals(j.getString("[0].state")));

        assertThat(json.getString("[0].exitCode")).isEqualTo("3:0");
        assertThat(json.getString("[0].steps[0].exitCode")).isEqualTo("3:0");
        assertThat(json.getString("[0].steps[0].state")).isEqualTo("FAILED");
    }

    @Test
    void replayingEventsAndOldVersionsChangesNothing() throws SQLException {
        List<Event> life = JobLife.lifecycle(103, "carol", NOW.minusSeconds(500), NOW.minusSeconds(400),
                NOW.minusSeconds(100), JobState.COMPLETED, 0);
        TestKafka.send(life);
        awaitSacct(Map.of("jobs", "103"), j -> "COMPLETED".equals(j.getString("[0].state")));
        TestKafka.awaitConsumed();
        String apiBefore = sacctBody(Map.of("jobs", "103"));
        List<String> rowsBefore = rows(103);
        long[] countsBefore = counts();

        TestKafka.send(life);
        // An older state after the newest one, and a stale version of a state the job was in, must lose.
        TestKafka.send(List.of(
                JobLife.state(103, 2, JobState.PENDING, JobState.RUNNING, NOW.minusSeconds(400), null, "node01"),
                new dev.sluice.contracts.job.JobStateChanged(103, 1, null, JobState.PENDING, "Priority", null,
                        NOW.minusSeconds(450), null, null, null)));
        TestKafka.awaitConsumed();

        assertThat(sacctBody(Map.of("jobs", "103"))).isEqualTo(apiBefore);
        assertThat(rows(103)).isEqualTo(rowsBefore);
        assertThat(counts()).isEqualTo(countsBefore);
    }

    @Test
    void eventsArrivingOutOfOrderEndInTheSameHistory() {
        List<Event> life = new ArrayList<>(JobLife.lifecycle(104, "carol", NOW.minusSeconds(500),
                NOW.minusSeconds(400), NOW.minusSeconds(100), JobState.COMPLETED, 0));
        java.util.Collections.reverse(life);
        TestKafka.send(life);

        JsonPath json = awaitSacct(Map.of("jobs", "104"), j -> "COMPLETED".equals(j.getString("[0].state"))
                && j.getString("[0].start") != null && "carol".equals(j.getString("[0].user")));

        assertThat(json.getString("[0].start")).isEqualTo(NOW.minusSeconds(400).toString());
        assertThat(json.getString("[0].nodeList")).isEqualTo("node01");
        assertThat(json.getLong("[0].elapsedSeconds")).isEqualTo(300);
    }

    @Test
    void filtersByUserStateAndTimeWindowSelectTheRightJobs() {
        Instant threeDaysAgo = NOW.minus(3, ChronoUnit.DAYS);
        List<Event> events = new ArrayList<>();
        events.addAll(JobLife.lifecycle(201, "fuser1", threeDaysAgo, threeDaysAgo.plusSeconds(60),
                threeDaysAgo.plusSeconds(3600), JobState.COMPLETED, 0));
        events.addAll(JobLife.lifecycle(202, "fuser1", NOW.minusSeconds(30), NOW.minusSeconds(20), null, null, 0));
        events.addAll(JobLife.lifecycle(203, "fuser2", NOW.minusSeconds(30), null, null, null, 0));
        events.addAll(JobLife.lifecycle(204, "fuser2", threeDaysAgo, threeDaysAgo.plusSeconds(60),
                threeDaysAgo.plusSeconds(120), JobState.FAILED, 1));
        TestKafka.send(events);
        TestKafka.awaitConsumed();

        // Default window: since midnight. The jobs that ended three days ago are out; the live ones are in.
        assertThat(jobIds(Map.of("user", "fuser1,fuser2"))).containsExactly(202, 203);
        assertThat(jobIds(Map.of("user", "fuser1", "start", "now-4days"))).containsExactly(201, 202);
        assertThat(jobIds(Map.of("user", "fuser1,fuser2", "start", "now-4days", "state", "CD,F")))
                .containsExactly(201, 204);
        assertThat(jobIds(Map.of("user", "fuser2", "start", "now-4days", "state", "PD"))).containsExactly(203);
        assertThat(jobIds(Map.of("user", "fuser2", "start", "now-4days", "state", "R"))).isEmpty();
        assertThat(jobIds(Map.of("user", "fuser1", "state", "RUNNING", "allUsers", "true")))
                .containsExactly(202);
        // A window that closes before anything was submitted, and one that opens after the old jobs ended.
        String before = threeDaysAgo.minusSeconds(3600).toString();
        assertThat(jobIds(Map.of("user", "fuser1,fuser2", "start", "now-5days", "end", before))).isEmpty();
        String justAfterOldJobs = threeDaysAgo.plusSeconds(600).toString();
        assertThat(jobIds(Map.of("user", "fuser1,fuser2", "start", justAfterOldJobs, "end", "now")))
                .containsExactly(201, 202, 203);
        // -j alone looks at all time.
        assertThat(jobIds(Map.of("jobs", "201,204"))).containsExactly(201, 204);
        assertThat(jobIds(Map.of("user", "fuser1", "start", "now-4days", "partition", "gpu"))).isEmpty();
        assertThat(jobIds(Map.of("user", "fuser1", "start", "now-4days", "account", "research")))
                .containsExactly(201, 202);

        JsonPath pending = sacct(Map.of("jobs", "203"));
        assertThat(pending.getString("[0].state")).isEqualTo("PENDING");
        assertThat(pending.getLong("[0].elapsedSeconds")).isZero();
        assertThat(pending.getString("[0].start")).isNull();
        assertThat(pending.getInt("[0].allocCpus")).isZero();
    }

    @Test
    void badParametersAreA400WithTheReason() {
        given().queryParam("start", "yesterdayy").get("/api/v1/sacct")
                .then().statusCode(400).body("error", equalTo("Invalid time specification: yesterdayy"));
        given().queryParam("state", "DONE").get("/api/v1/sacct")
                .then().statusCode(400).body("error", equalTo("Invalid job state specified: DONE"));
        given().queryParam("jobs", "12x").get("/api/v1/sacct")
                .then().statusCode(400).body("error", equalTo("Invalid job id: 12x"));
    }

    @Test
    void readyOnceTheHistoryConsumerRuns() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (given().get("/q/health/ready").statusCode() != 200 && System.nanoTime() < deadline) {
            sleep();
        }
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'history-consumer' }.status", equalTo("UP"));
    }

    private static List<Integer> jobIds(Map<String, String> params) {
        return sacct(params).getList("jobIdRaw", Integer.class);
    }

    private static JsonPath sacct(Map<String, String> params) {
        return new JsonPath(sacctBody(params));
    }

    private static String sacctBody(Map<String, String> params) {
        return given().queryParams(params).get("/api/v1/sacct").then().statusCode(200).extract().asString();
    }

    private static JsonPath awaitSacct(Map<String, String> params, Predicate<JsonPath> done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonPath json = sacct(params);
            if (!json.getList("").isEmpty() && done.test(json)) {
                return json;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("sacct " + params + " never got there: " + json.prettify());
            }
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Connection db() throws SQLException {
        var cfg = ConfigProvider.getConfig();
        return DriverManager.getConnection(cfg.getValue("quarkus.datasource.jdbc.url", String.class),
                cfg.getValue("quarkus.datasource.username", String.class),
                cfg.getValue("quarkus.datasource.password", String.class));
    }

    private static List<String> rows(long jobId) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db()) {
            for (String sql : List.of("select * from jobs where job_id = ?",
                    "select * from job_steps where job_id = ? order by step_id, node")) {
                try (var ps = c.prepareStatement(sql)) {
                    ps.setLong(1, jobId);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            StringBuilder b = new StringBuilder();
                            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                                b.append(rs.getMetaData().getColumnName(i)).append('=').append(rs.getString(i))
                                        .append(' ');
                            }
                            out.add(b.toString());
                        }
                    }
                }
            }
        }
        assertThat(out).hasSize(2);
        return out;
    }

    private static long[] counts() throws SQLException {
        try (Connection c = db(); var st = c.createStatement();
             ResultSet rs = st.executeQuery("select (select count(*) from jobs), (select count(*) from job_steps)")) {
            rs.next();
            return new long[]{rs.getLong(1), rs.getLong(2)};
        }
    }
}
