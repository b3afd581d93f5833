package dev.sluice.accounting.ingest;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * sreport's numbers for a known set of jobs on a day long past (so no other test's jobs fall in the window):
 * each 2-CPU job's seconds inside the window, summed per user and up the account tree.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class SreportTest {
    static final String START = "2026-01-10T00:00:00Z";
    static final String END = "2026-01-11T00:00:00Z";
    static boolean sent;

    private static List<Event> job(long id, String user, String account, String start, String end) {
        Instant s = Instant.parse(start);
        List<Event> events = new ArrayList<>(JobLife.lifecycle(id, user, s.minusSeconds(60), s, Instant.parse(end),
                JobState.COMPLETED, 0));
        var spec = new JobSpec("job" + id, "cpu", account, "normal", "#!/bin/bash\nexit 0\n", "/home/" + user,
                "slurm-%j.out", null, Map.of(), Resources.of(1, 2, 1024L), 60);
        events.set(0, new JobSubmitted(id, s.minusSeconds(60), new Owner(user, 1001, 1001), spec));
        return events;
    }

    // Once per class, but after Quarkus has started (a static @BeforeAll would run before REST Assured knows the port).
    @BeforeEach
    void jobsAndTree() {
        if (sent) {
            return;
        }
        sent = true;
        for (List<String> args : List.of(List.of("add", "account", "research"), List.of("add", "account", "science"),
                List.of("add", "account", "physics", "Parent=science"))) {
            given().contentType(ContentType.JSON).body(Map.of("args", args)).post("/api/v1/sacctmgr")
                    .then().statusCode(200);
        }
        List<Event> events = new ArrayList<>();
        events.addAll(job(9001, "alice", "research", "2026-01-10T01:00:00Z", "2026-01-10T02:00:00Z"));
        // starts before the window: only its last 30 minutes count
        events.addAll(job(9002, "bob", "research", "2026-01-09T23:00:00Z", "2026-01-10T00:30:00Z"));
        events.addAll(job(9003, "carol", "physics", "2026-01-10T10:00:00Z", "2026-01-10T10:30:00Z"));
        // entirely after the window: not counted
        events.addAll(job(9004, "alice", "research", "2026-01-11T01:00:00Z", "2026-01-11T02:00:00Z"));
        TestKafka.send(events);
        TestKafka.awaitConsumed();
    }

    private static JsonPath report(String report, String... extra) {
        var req = given().queryParam("start", START).queryParam("end", END);
        for (int i = 0; i < extra.length; i += 2) {
            req = req.queryParam(extra[i], extra[i + 1]);
        }
        return req.get("/api/v1/sreport/" + report).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void accountUtilizationByUserSumsCpuSecondsUpTheTree() {
        JsonPath j = report("AccountUtilizationByUser");
        assertThat(j.getLong("seconds")).isEqualTo(86400);
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> l : j.<Map<String, Object>>getList("lines")) {
            lines.add(l.get("level") + " " + l.get("account") + "/" + l.get("user") + " "
                    + ((Number) l.get("used")).longValue());
        }
        assertThat(lines).containsExactly(
                "0 root/ 14400",
                "1 research/ 10800",
                "2 research/alice 7200",
                "2 research/bob 3600",
                "1 science/ 3600",
                "2 physics/ 3600",
                "3 physics/carol 3600");
    }

    @Test
    void utilizationComparesWithTheConfiguredNodes() {
        JsonPath j = report("Utilization");
        assertThat(j.getDouble("allocated")).isEqualTo(14400.0);
        // node[01-02] with 4 CPUs each, all day
        assertThat(j.getDouble("reported")).isEqualTo(8 * 86400.0);
    }

    @Test
    void userUtilizationByAccountAndGpuTres() {
        JsonPath j = report("UserUtilizationByAccount");
        assertThat(j.getList("lines.user")).containsExactly("alice", "bob", "carol");
        assertThat(j.getList("lines.used", Float.class)).containsExactly(7200f, 3600f, 3600f);
        JsonPath gpu = report("AccountUtilizationByUser", "tres", "gres/gpu");
        assertThat(gpu.getDouble("allocated")).isZero();
    }

    @Test
    void badInputIsA400() {
        given().queryParam("start", "yesterdayy").get("/api/v1/sreport/Utilization").then().statusCode(400);
        given().get("/api/v1/sreport/TopSecret").then().statusCode(400);
        given().queryParam("tres", "bogus").get("/api/v1/sreport/Utilization").then().statusCode(400);
    }
}
