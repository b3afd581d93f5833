package dev.sluice.accounting.ingest;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.accounting.FairshareUsage;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Fairshare usage from real jobs through Kafka and PostgreSQL: the test cluster has no decay, so RawUsage is the
 * billing (CPU=1.0,Mem=4G: a 2-CPU 1 GiB job bills 6) times the seconds run. Tree: fs_grp with fs_a (2 shares:
 * ann, ben) and fs_b (1 share: cat).
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class FairshareTest {
    static boolean sent;
    static final List<Event> EVENTS = new ArrayList<>();

    private static List<Event> job(long id, String user, String account, String start, long seconds) {
        Instant s = Instant.parse(start);
        List<Event> events = new ArrayList<>(JobLife.lifecycle(id, user, s.minusSeconds(60), s,
                s.plusSeconds(seconds), JobState.COMPLETED, 0));
        var spec = new JobSpec("job" + id, "cpu", account, "normal", "#!/bin/bash\nexit 0\n", "/home/" + user,
                "slurm-%j.out", null, Map.of(), Resources.of(1, 2, 1024L), 60);
        events.set(0, new JobSubmitted(id, s.minusSeconds(60), new Owner(user, 1001, 1001), spec));
        return events;
    }

    static void sacctmgr(String... args) {
        given().contentType(ContentType.JSON).body(Map.of("args", List.of(args))).post("/api/v1/sacctmgr")
                .then().statusCode(200);
    }

    @BeforeEach
    void treeAndJobs() {
        if (sent) {
            return;
        }
        sent = true;
        sacctmgr("add", "account", "fs_grp");
        sacctmgr("add", "account", "fs_a", "Parent=fs_grp", "Fairshare=2");
        sacctmgr("add", "account", "fs_b", "Parent=fs_grp");
        sacctmgr("add", "user", "ann", "Account=fs_a");
        sacctmgr("add", "user", "ben", "Account=fs_a");
        sacctmgr("add", "user", "cat", "Account=fs_b");
        EVENTS.addAll(job(9501, "ann", "fs_a", "2026-02-03T01:00:00Z", 3600));
        EVENTS.addAll(job(9502, "ben", "fs_a", "2026-02-03T01:00:00Z", 1800));
        EVENTS.addAll(job(9503, "cat", "fs_b", "2026-02-03T05:00:00Z", 3600));
        TestKafka.send(EVENTS);
        TestKafka.awaitConsumed();
    }

    static JsonPath sshare(String... params) {
        var req = given();
        for (int i = 0; i < params.length; i += 2) {
            req = req.queryParam(params[i], params[i + 1]);
        }
        return req.get("/api/v1/sshare").then().statusCode(200).extract().jsonPath();
    }

    static Map<String, Object> line(JsonPath j, String account, String user) {
        List<Map<String, Object>> lines = j.getList("lines");
        return lines.stream().filter(l -> l.get("account").equals(account) && l.get("user").equals(user))
                .findFirst().orElseThrow(() -> new AssertionError(account + "/" + user + " not in " + lines));
    }

    // REST Assured reads JSON numbers as floats: figures are compared to 1e-6.
    static double num(Map<String, Object> line, String field) {
        return ((Number) line.get(field)).doubleValue();
    }

    @Test
    void sshareShowsRawUsageAndFairTreeFiguresForTheSubtree() {
        JsonPath j = sshare("accounts", "fs_grp,fs_a,fs_b");
        assertThat(j.getBoolean("fairTree")).isTrue();
        // 6 x 3600 and 6 x 1800 in fs_a, 6 x 3600 in fs_b
        assertThat(num(line(j, "fs_a", "ann"), "rawUsage")).isEqualTo(21600);
        assertThat(num(line(j, "fs_a", "ben"), "rawUsage")).isEqualTo(10800);
        assertThat(num(line(j, "fs_a", ""), "rawUsage")).isEqualTo(32400);
        assertThat(num(line(j, "fs_grp", ""), "rawUsage")).isEqualTo(54000);
        var a = line(j, "fs_a", "");
        assertThat(num(a, "rawShares")).isEqualTo(2);
        assertThat(num(a, "normShares")).isCloseTo(2.0 / 3, within(1e-6));
        assertThat(num(a, "effectvUsage")).isCloseTo(0.6, within(1e-6));
        assertThat(num(a, "levelFs")).isCloseTo((2.0 / 3) / 0.6, within(1e-6));
        assertThat(num(line(j, "fs_a", "ben"), "levelFs")).isCloseTo(0.5 / (1.0 / 3), within(1e-6));
        assertThat(num(line(j, "fs_a", "ann"), "levelFs")).isCloseTo(0.5 / (2.0 / 3), within(1e-6));
        // Fair Tree walks fs_a (LevelFS 1.11) before fs_b (0.83), and ben before ann inside fs_a
        double ben = num(line(j, "fs_a", "ben"), "fairShare");
        double ann = num(line(j, "fs_a", "ann"), "fairShare");
        double cat = num(line(j, "fs_b", "cat"), "fairShare");
        assertThat(ben).isGreaterThan(ann);
        assertThat(ann).isGreaterThan(cat);
        // the root line is left out when accounts are named, and -u narrows the user lines
        assertThat(j.getList("lines.account")).doesNotContain("root");
        JsonPath onlyAnn = sshare("accounts", "fs_a", "users", "ann");
        assertThat(onlyAnn.getList("lines.user")).containsExactly("", "ann");
    }

    @Test
    void usageIsPublishedForTheSchedulerAndAReplayChangesNothing() {
        Map<String, FairshareUsage> latest = awaitUsage(21600);
        assertThat(latest.get("fs_a/ben").rawUsage()).isEqualTo(10800);
        assertThat(latest.get("fs_b/cat").rawUsage()).isEqualTo(21600);
        assertThat(latest.get("fs_a/").rawUsage()).isEqualTo(32400);
        assertThat(latest.get("fs_a/").user()).isNull();
        TestKafka.send(EVENTS);
        TestKafka.awaitConsumed();
        assertThat(num(line(sshare("accounts", "fs_a"), "fs_a", "ann"), "rawUsage")).isEqualTo(21600);
    }

    /**
     * Reads sluice.accounting.events from the start until the latest usage published for ann, fs_a and cat all
     * carry the expected values: a publication may come while only part of the batch is ingested, and a later one
     * corrects it.
     */
    private static Map<String, FairshareUsage> awaitUsage(double annUsage) {
        Map<String, Object> props = new HashMap<>(KafkaSettings.consumer(SluiceTestInfra.bootstrapServers,
                "fairshare-test-" + UUID.randomUUID(), "fairshare-test"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, FairshareUsage> latest = new HashMap<>();
        try (var c = new KafkaConsumer<String, byte[]>(props)) {
            c.subscribe(List.of(Topics.ACCOUNTING_EVENTS));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (var r : c.poll(Duration.ofMillis(500))) {
                    KafkaCloudEvents.fromRecord(r).ifPresent(ce -> {
                        if (ce.data() instanceof FairshareUsage u && u.account().startsWith("fs_")) {
                            latest.put(u.account() + "/" + (u.user() == null ? "" : u.user()), u);
                        }
                    });
                }
                FairshareUsage ann = latest.get("fs_a/ann");
                FairshareUsage cat = latest.get("fs_b/cat");
                if (ann != null && ann.rawUsage() == annUsage && latest.containsKey("fs_a/")
                        && latest.get("fs_a/").rawUsage() == 32400 && cat != null && cat.rawUsage() == 21600) {
                    return latest;
                }
            }
        }
        throw new AssertionError("no fairshare usage of " + annUsage + " for ann: " + latest);
    }
}
