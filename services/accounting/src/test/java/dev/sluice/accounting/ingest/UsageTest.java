package dev.sluice.accounting.ingest;

import dev.sluice.accounting.usage.UsageMetrics;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** GPU-hours by account as JSON, as a chart page in a real browser, and as Prometheus figures. */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class UsageTest {
    static boolean sent;

    @Inject
    UsageMetrics metrics;

    @TestHTTPResource("/usage.html")
    URL page;

    /** A job of {@code user} in {@code account} holding {@code gpus} GPUs for {@code hours} hours, ended an hour ago. */
    private static List<Event> gpuJob(long id, String user, String account, int gpus, int hours) {
        Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(3600);
        Instant start = end.minusSeconds(3600L * hours);
        List<Event> events = new ArrayList<>(JobLife.lifecycle(id, user, start.minusSeconds(10), start, end,
                JobState.COMPLETED, 0));
        var spec = new JobSpec("job" + id, "gpu", account, "normal", "#!/bin/bash\nexit 0\n", "/home/" + user,
                "slurm-%j.out", null, Map.of(), Resources.of(1, 2, 1024L), 600);
        events.set(0, new JobSubmitted(id, start.minusSeconds(10), new Owner(user, 1001, 1001), spec));
        List<Integer> ids = new ArrayList<>();
        for (int g = 0; g < gpus; g++) {
            ids.add(g);
        }
        events.replaceAll(e -> e instanceof AllocationGranted a ? new AllocationGranted(id, a.time(),
                List.of(new NodeAllocation("node01", 1, List.of(0, 1), 1024, ids))) : e);
        return events;
    }

    @BeforeEach
    void jobs() {
        if (sent) {
            return;
        }
        sent = true;
        List<Event> events = new ArrayList<>();
        events.addAll(gpuJob(7401, "dave", "vision", 2, 1));
        events.addAll(gpuJob(7402, "erin", "nlp", 4, 2));
        events.addAll(gpuJob(7403, "dave", "vision", 1, 2));
        TestKafka.send(events);
        TestKafka.awaitConsumed();
    }

    @Test
    void gpuHoursByAccountOverThirtyDays() {
        JsonPath j = given().get("/api/v1/usage/gpu-hours").then().statusCode(200).extract().jsonPath();
        assertThat(j.getInt("days")).isEqualTo(30);
        assertThat(j.getList("accounts.account")).containsExactly("nlp", "vision");
        assertThat(j.getList("accounts.gpuHours", Float.class)).containsExactly(8.0f, 4.0f);
        given().queryParam("days", "0").get("/api/v1/usage/gpu-hours").then().statusCode(400);
    }

    @Test
    void prometheusShowsJobsAndCpuAndGpuSecondsByAccountAndUser() {
        metrics.refresh();
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(text).contains("sluice_gpu_seconds{account=\"vision\",user=\"dave\"} 14400.0",
                "sluice_gpu_seconds{account=\"nlp\",user=\"erin\"} 28800.0",
                "sluice_cpu_seconds{account=\"nlp\",user=\"erin\"} 14400.0");
        assertThat(text).containsPattern("sluice_jobs\\{state=\"running\"\\} [0-9.]+")
                .containsPattern("sluice_jobs\\{state=\"pending\"\\} [0-9.]+");
    }

    @Test
    void theChartPageDrawsABarPerAccountInHeadlessChromium() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        Assumptions.assumeTrue(Files.isExecutable(chromium),
                "Chromium is not installed (apt-get install chromium): the chart page is not checked in a browser");
        Path shot = Path.of("target", "usage-chart.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        List<String> common = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--virtual-time-budget=10000");
        List<String> dom = new ArrayList<>(common);
        dom.add("--dump-dom");
        dom.add(page.toString());
        Process p = new ProcessBuilder(dom).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String html = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(html).contains("data-account=\"nlp\"", "data-account=\"vision\"", "8.0 h", "4.0 h");

        List<String> screenshot = new ArrayList<>(common);
        screenshot.add("--screenshot=" + shot);
        screenshot.add("--window-size=900,400");
        screenshot.add(page.toString());
        Process s = new ProcessBuilder(screenshot).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(s.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.size(shot)).isGreaterThan(1000);
    }
}
