package dev.sluice.scheduler;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobCancelRequested;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.Usage;
import dev.sluice.infra.SluiceTestInfra;
import dev.sluice.scheduler.loop.EventLog;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;

/** The scheduler service against a real Kafka broker: events in, decisions out, nodes and partitions over REST. */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "postgres", value = "false"))
class SchedulerServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final AtomicLong IDS = new AtomicLong(100);

    @BeforeEach
    void aNodeWithTwoCpus() {
        EventLog.publish(SluiceTestInfra.bootstrapServers, new NodeRegistered("node01", "boot-1", Instant.now(),
                "node01", "127.0.0.1:6830", 2, 1, 2, 1, List.of(0, 1), 4096, List.of(), List.of(), List.of()));
    }

    @Test
    void helloWorldIsAllocatedLaunchedAndCompleted() throws Exception {
        long id = IDS.incrementAndGet();
        JobSubmitted hello = helloWorld(id);
        try (EventLog log = new EventLog(SluiceTestInfra.bootstrapServers, Topics.JOB_EVENTS, Topics.NODE_COMMANDS)) {
            EventLog.publish(SluiceTestInfra.bootstrapServers, hello);

            log.await(WAIT, "job " + id + " running and launched", l ->
                    l.all(LaunchRequested.class).stream().anyMatch(x -> x.jobId() == id)
                            && states(l, id).contains(JobState.RUNNING));

            AllocationGranted grant = l(log.all(AllocationGranted.class), id);
            assertThat(grant.nodes()).singleElement().satisfies(a -> {
                assertThat(a.node()).isEqualTo("node01");
                assertThat(a.cpuIds()).hasSize(1);
                assertThat(a.memMb()).isEqualTo(1024);
            });
            JobStateChanged running = log.all(JobStateChanged.class).stream()
                    .filter(s -> s.jobId() == id && s.state() == JobState.RUNNING).findFirst().orElseThrow();
            assertThat(running.previous()).isEqualTo(JobState.PENDING);
            assertThat(running.nodes()).isEqualTo("node01");
            assertThat(log.events()).filteredOn(e -> e.data() == running).singleElement()
                    .satisfies(e -> assertThat(e.id()).isEqualTo("job-" + id + "-v" + running.version()));
            LaunchRequested launch = log.all(LaunchRequested.class).stream().filter(x -> x.jobId() == id)
                    .findFirst().orElseThrow();
            assertThat(launch.node()).isEqualTo("node01");
            assertThat(launch.clusterName()).isEqualTo("testcluster");
            assertThat(launch.timeLimitMinutes()).isEqualTo(5);
            assertThat(launch.spec().script()).isEqualTo(hello.spec().script());
            assertThat(launch.owner()).isEqualTo(hello.owner());

            EventLog.publish(SluiceTestInfra.bootstrapServers, new StepFinished(id, "batch", "node01", Instant.now(),
                    JobState.COMPLETED, 0, 0, Usage.NONE, null));

            log.await(WAIT, "job " + id + " completed", l -> states(l, id).contains(JobState.COMPLETED));
            JobStateChanged done = last(log, id);
            assertThat(done.previous()).isEqualTo(JobState.RUNNING);
            assertThat(done.exitCode()).isZero();
        }
    }

    @Test
    void aJobWiderThanTheClusterWaitsForResourcesAndCancellingItEndsIt() {
        long id = IDS.incrementAndGet();
        JobSubmitted wide = withResources(helloWorld(id), Resources.of(4, 1, null));
        try (EventLog log = new EventLog(SluiceTestInfra.bootstrapServers, Topics.JOB_EVENTS, Topics.NODE_COMMANDS)) {
            EventLog.publish(SluiceTestInfra.bootstrapServers, wide);

            log.await(WAIT, "job " + id + " pending", l -> states(l, id).contains(JobState.PENDING));
            JobStateChanged pending = last(log, id);
            assertThat(pending.state()).isEqualTo(JobState.PENDING);
            assertThat(pending.reason()).isEqualTo("Resources");
            assertThat(log.all(AllocationGranted.class)).noneMatch(a -> a.jobId() == id);

            EventLog.publish(SluiceTestInfra.bootstrapServers, new JobCancelRequested(id, "some_user", Instant.now()));

            log.await(WAIT, "job " + id + " cancelled", l -> states(l, id).contains(JobState.CANCELLED));
            assertThat(last(log, id).previous()).isEqualTo(JobState.PENDING);
            assertThat(log.all(LaunchRequested.class)).noneMatch(a -> a.jobId() == id);
        }
    }

    @Test
    void nodesAndPartitionsAreListed() {
        awaitNode();
        given().get("/api/v1/nodes").then().statusCode(200)
                .body("nodes.name", hasItem("node01"))
                .body("nodes.find { it.name == 'node01' }.cpus", org.hamcrest.Matchers.is(2))
                .body("nodes.find { it.name == 'node01' }.memory", org.hamcrest.Matchers.is(4096))
                .body("nodes.find { it.name == 'node01' }.partitions", hasItem("cpu"));
        given().get("/api/v1/partitions").then().statusCode(200)
                .body("partitions[0].name", org.hamcrest.Matchers.is("cpu"))
                .body("partitions[0].default", org.hamcrest.Matchers.is(true))
                .body("partitions[0].maxTime", org.hamcrest.Matchers.is("UNLIMITED"))
                // AdminApiTest may have added node09 to the same broker
                .body("partitions[0].nodes", org.hamcrest.Matchers.startsWith("node"))
                .body("partitions[0].totalCpus", org.hamcrest.Matchers.greaterThanOrEqualTo(2));
        given().get("/q/health/ready").then().statusCode(200);
    }

    private static void awaitNode() {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            List<String> names = given().get("/api/v1/nodes").then().statusCode(200).extract().path("nodes.name");
            if (names.contains("node01")) {
                return;
            }
            sleep();
        }
        throw new AssertionError("node01 never listed");
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<JobState> states(EventLog log, long id) {
        return log.all(JobStateChanged.class).stream().filter(s -> s.jobId() == id).map(JobStateChanged::state).toList();
    }

    private static JobStateChanged last(EventLog log, long id) {
        return log.all(JobStateChanged.class).stream().filter(s -> s.jobId() == id)
                .reduce((a, b) -> a.version() > b.version() ? a : b).orElseThrow();
    }

    private static AllocationGranted l(List<AllocationGranted> grants, long id) {
        List<AllocationGranted> mine = grants.stream().filter(g -> g.jobId() == id).toList();
        assertThat(mine).hasSize(1);
        return mine.getFirst();
    }

    /** The contracts' hello_world sample: the seed's sbatch script on partition cpu, 1 task, 1 CPU, 1G, 5 min. */
    static JobSubmitted helloWorld(long id) {
        try (InputStream in = JobSubmitted.class.getClassLoader().getResourceAsStream("samples/sluice.job.submitted.v1.json")) {
            JobSubmitted s = Json.MAPPER.readValue(in, JobSubmitted.class);
            return new JobSubmitted(id, Instant.now(), s.owner(), s.spec());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static JobSubmitted withResources(JobSubmitted s, Resources r) {
        JobSpec p = s.spec();
        return new JobSubmitted(s.jobId(), s.submitTime(), s.owner(), new JobSpec(p.name(), p.partition(),
                p.account(), p.qos(), p.script(), p.workDir(), p.stdout(), p.stderr(), p.env(), r, p.timeLimitMinutes()));
    }
}
