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
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slurm's documented billing example through real job events (partition gpu: CPU=1.0,Mem=0.25G), and GPUs per
 * type (partition h100: GRES/gpu:h100=10.0) in sacct's AllocTRES, sreport's --tres and Prometheus. All jobs ran
 * on 2026-01-20, a day no other test uses.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class TresTypesTest {
    static boolean sent;
    static final String START = "2026-01-20T00:00:00Z";
    static final String END = "2026-01-21T00:00:00Z";

    @Inject
    UsageMetrics metrics;

    private static List<Event> job(long id, String user, String partition, int cpus, long memMb, String gres,
                                   int gpus) {
        return job(id, user, partition, cpus, memMb, gres, gpus, "node01");
    }

    /** One hour from 02:00 on one node with {@code cpus} CPUs, {@code memMb} and {@code gres} (per node). */
    private static List<Event> job(long id, String user, String partition, int cpus, long memMb, String gres,
                                   int gpus, String node) {
        Instant start = Instant.parse("2026-01-20T02:00:00Z");
        List<Event> events = new ArrayList<>(JobLife.lifecycle(id, user, start.minusSeconds(30), start,
                start.plusSeconds(3600), JobState.COMPLETED, 0));
        var resources = new Resources(null, null, 1, null, cpus, memMb, null,
                gres == null ? List.of() : List.of(gres), false);
        var spec = new JobSpec("job" + id, partition, "gt_acct", "normal", "#!/bin/bash\nexit 0\n",
                "/home/" + user, "slurm-%j.out", null, Map.of(), resources, 120);
        events.set(0, new JobSubmitted(id, start.minusSeconds(30), new Owner(user, 1001, 1001), spec));
        List<Integer> cpuIds = IntStream.range(0, cpus).boxed().toList();
        List<Integer> gpuIds = IntStream.range(0, gpus).boxed().toList();
        events.replaceAll(e -> e instanceof AllocationGranted a ? new AllocationGranted(id, a.time(),
                List.of(new NodeAllocation(node, 1, cpuIds, memMb, gpuIds))) : e);
        return events;
    }

    @BeforeEach
    void jobs() {
        if (sent) {
            return;
        }
        sent = true;
        List<Event> events = new ArrayList<>();
        events.addAll(job(9601, "gina", "gpu", 1, 60 * 1024, null, 0));
        events.addAll(job(9602, "gina", "gpu", 16, 1024, null, 0));
        events.addAll(job(9603, "gina", "gpu", 16, 60 * 1024, null, 0));
        events.addAll(job(9604, "gina", "gpu", 2, 1024, "gpu:h100:2", 2));
        events.addAll(job(9605, "hank", "h100", 1, 1024, "gpu:h100:1", 1));
        events.addAll(job(9606, "hank", "h100", 1, 1024, "gpu:1", 1));
        events.addAll(job(9607, "hank", "h100", 1, 1024, "gpu:1", 1, "node02")); // untyped, given an H100
        TestKafka.send(events);
        TestKafka.awaitConsumed();
    }

    private static String allocTres(JsonPath j, long id) {
        return j.getString("find { it.jobIdRaw == " + id + " }.allocTres");
    }

    @Test
    void slurmsBillingExampleShowsInAllocTres() {
        JsonPath j = given().queryParam("jobs", "9601,9602,9603").get("/api/v1/sacct").then().statusCode(200)
                .extract().jsonPath();
        // 1 + 60 x 0.25 = 16; 16 + 0.25 = 16.25, shown without its fraction; 16 + 15 = 31
        assertThat(allocTres(j, 9601)).isEqualTo("billing=16,cpu=1,mem=60G,node=1");
        assertThat(allocTres(j, 9602)).isEqualTo("billing=16,cpu=16,mem=1G,node=1");
        assertThat(allocTres(j, 9603)).isEqualTo("billing=31,cpu=16,mem=60G,node=1");
    }

    @Test
    void typedGpusAppearBesideAllGpusAndBillByType() {
        JsonPath j = given().queryParam("jobs", "9604,9605,9606").get("/api/v1/sacct").then().statusCode(200)
                .extract().jsonPath();
        // gpu partition: 2 + 0.25 + GRES/gpu=8.0 x 2 = 18.25
        assertThat(allocTres(j, 9604)).isEqualTo("billing=18,cpu=2,mem=1G,node=1,gres/gpu=2,gres/gpu:h100=2");
        // h100 partition: 1 + 10 for the H100; the untyped GPU is not weighed there
        assertThat(allocTres(j, 9605)).isEqualTo("billing=11,cpu=1,mem=1G,node=1,gres/gpu=1,gres/gpu:h100=1");
        assertThat(allocTres(j, 9606)).isEqualTo("billing=1,cpu=1,mem=1G,node=1,gres/gpu=1");
        assertThat(j.getString("find { it.jobIdRaw == 9604 }.reqTres"))
                .isEqualTo("billing=18,cpu=2,mem=1G,node=1,gres/gpu=2,gres/gpu:h100=2");
    }

    @Test
    void anUntypedRequestIsAccountedUnderTheTypeItWasGiven() {
        JsonPath j = given().queryParam("jobs", "9607").get("/api/v1/sacct").then().statusCode(200)
                .extract().jsonPath();
        // asked for gpu:1, got one of node02's H100s: billed as one (1 + 10) and counted under gres/gpu:h100
        assertThat(j.getString("find { it.jobIdRaw == 9607 }.reqTres"))
                .isEqualTo("billing=1,cpu=1,mem=1G,node=1,gres/gpu=1");
        assertThat(allocTres(j, 9607)).isEqualTo("billing=11,cpu=1,mem=1G,node=1,gres/gpu=1,gres/gpu:h100=1");
    }

    @Test
    void sreportCountsGpuSecondsPerType() {
        JsonPath h100 = given().queryParam("start", START).queryParam("end", END).queryParam("tres", "gres/gpu:h100")
                .get("/api/v1/sreport/AccountUtilizationByUser").then().statusCode(200).extract().jsonPath();
        // 9604 (2 H100s) and 9605 as asked; 9607 asked for any GPU and got an H100
        assertThat(h100.getDouble("allocated")).isEqualTo(14400.0);
        assertThat(h100.getList("lines.user")).containsExactly("", "", "gina", "hank");
        assertThat(h100.getList("lines.used", Float.class)).containsExactly(14400f, 14400f, 7200f, 7200f);
        JsonPath all = given().queryParam("start", START).queryParam("end", END).queryParam("tres", "gres/gpu")
                .get("/api/v1/sreport/UserUtilizationByAccount").then().statusCode(200).extract().jsonPath();
        assertThat(all.getDouble("allocated")).isEqualTo(18000.0);
        assertThat(all.getList("lines.user")).containsExactly("hank", "gina"); // heaviest first, as sreport sorts
        assertThat(all.getList("lines.used", Float.class)).containsExactly(10800f, 7200f);
        given().queryParam("tres", "gres/gpu:h100;drop").get("/api/v1/sreport/Utilization").then().statusCode(400);
    }

    @Test
    void prometheusShowsGpuSecondsPerType() {
        metrics.refresh();
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(text).contains("sluice_gpu_type_seconds{account=\"gt_acct\",type=\"h100\",user=\"gina\"} 7200.0",
                "sluice_gpu_type_seconds{account=\"gt_acct\",type=\"h100\",user=\"hank\"} 7200.0");
    }
}
