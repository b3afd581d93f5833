package dev.sluice.nodeagent;

import dev.sluice.contracts.Event;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.contracts.cloudevents.Json;
import io.restassured.RestAssured;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.stream.Stream;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItems;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.NodeHeartbeat;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.node.NodeResumeRequested;
import dev.sluice.contracts.node.SignalRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.infra.SluiceTestInfra;
import dev.sluice.nodeagent.discovery.CpuList;
import dev.sluice.nodeagent.kafka.CommandPartition;
import dev.sluice.nodeagent.launch.TestSettings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "postgres", value = "false"))
@QuarkusTestResource(value = StateDirResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = FakeGpuResource.class, restrictToAnnotatedClass = false)
class NodeAgentTest {
    static final String NODE = "tnode1";
    static final Duration LIMIT = Duration.ofSeconds(60);
    static final AtomicLong IDS = new AtomicLong(ThreadLocalRandom.current().nextLong(1_000_000, 9_000_000) * 10);

    static KafkaProducer<String, byte[]> producer;

    @jakarta.inject.Inject
    dev.sluice.nodeagent.kafka.NodeAgent agent;
    static EventLog log;

    @TempDir
    Path workDir;

    @org.junit.jupiter.api.BeforeEach
    void openWorkDir() throws java.io.IOException {
        TestSettings.openToAll(workDir);
    }

    @BeforeAll
    static void connect() {
        producer = new KafkaProducer<>(KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "node-agent-test"));
        log = new EventLog(SluiceTestInfra.bootstrapServers, Topics.STEP_EVENTS, Topics.NODE_EVENTS);
    }

    @AfterAll
    static void disconnect() throws InterruptedException {
        producer.close();
        log.close();
    }

    @Test
    void registersWithTheHostsCpusAndHeartbeats() throws Exception {
        List<Integer> online = CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online")));
        NodeRegistered reg = log.await(NodeRegistered.class, r -> r.node().equals(NODE), LIMIT);
        assertThat(reg.cpuIds()).isEqualTo(online);
        assertThat(reg.cpus()).isEqualTo(online.size());
        assertThat(reg.sockets() * reg.coresPerSocket() * reg.threadsPerCore()).isEqualTo(online.size());
        assertThat(reg.realMemoryMb()).isGreaterThan(0);
        assertThat(reg.gres()).containsExactly("gpu:h100:4");
        assertThat(reg.address()).endsWith(":" + io.restassured.RestAssured.port);
        NodeHeartbeat hb = log.await(NodeHeartbeat.class, h -> h.node().equals(NODE), LIMIT);
        assertThat(hb.bootId()).isEqualTo(reg.bootId());

        given().get("/api/v1/node").then().statusCode(200).body("name", equalTo(NODE));
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void helloWorldWritesItsOutputAndCompletes() {
        long id = IDS.incrementAndGet();
        launch(id, spec("hello_world", """
                #!/bin/bash
                #SBATCH --job-name=hello_world
                #SBATCH --output=hello_world.out
                #SBATCH --error=hello_world.err
                echo "Running in cpu partition"
                """, "hello_world.out", "hello_world.err", Map.of()));

        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        assertThat(end.exitCode() + ":" + end.signal()).isEqualTo("0:0");
        assertThat(end.node()).isEqualTo(NODE);
        assertThat(TestFiles.read(workDir.resolve("hello_world.out"))).isEqualTo("Running in cpu partition\n");
        assertThat(TestFiles.read(workDir.resolve("hello_world.err"))).isEmpty();
        StepStarted started = log.await(StepStarted.class, s -> s.jobId() == id, LIMIT);
        assertThat(started.stepId()).isEqualTo("batch");
        assertThat(started.pid()).isPositive();
    }

    @Test
    void nonZeroExitIsFailedWithItsCode() {
        long id = IDS.incrementAndGet();
        launch(id, spec("fails", "#!/bin/sh\necho before\nexit 3\n", null, null, Map.of()));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.exitCode()).isEqualTo(3);
        assertThat(end.signal()).isZero();
        // default output file, stderr joined to it
        assertThat(TestFiles.read(workDir.resolve("slurm-" + id + ".out"))).isEqualTo("before\n");
    }

    @Test
    void outputPatternsAreExpanded() {
        long id = IDS.incrementAndGet();
        launch(id, spec("patt", "#!/bin/sh\necho out\necho err >&2\n", "logs-%x/%j.%u.%N.out", "%x-%j-100%%.err",
                Map.of()));
        // as in Slurm, a directory named by a pattern is not created for the job
        assertThat(finished(id).state()).isEqualTo(JobState.FAILED);

        long id2 = IDS.incrementAndGet();
        launch(id2, spec("patt", "#!/bin/sh\necho out\necho err >&2\n", "%x.%j.%u.%N.out", "%x-%j-100%%.err",
                Map.of()));
        assertThat(finished(id2).state()).isEqualTo(JobState.COMPLETED);
        assertThat(TestFiles.read(workDir.resolve("patt." + id2 + ".nobody." + NODE + ".out"))).isEqualTo("out\n");
        assertThat(TestFiles.read(workDir.resolve("patt-" + id2 + "-100%.err"))).isEqualTo("err\n");
    }

    @Test
    void usageOfTheScriptIsReported() {
        long id = IDS.incrementAndGet();
        launch(id, spec("busy", "#!/bin/bash\ni=0; while [ $i -lt 300000 ]; do i=$((i+1)); done\n", null, null,
                Map.of()));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        assertThat(end.usage().cpuUserMs() + end.usage().cpuSystemMs()).isPositive();
        assertThat(end.usage().maxRssKb()).isPositive();
    }

    @Test
    void launchFailureIsReportedInWords() {
        long id = IDS.incrementAndGet();
        launch(id, spec("nowhere", "#!/bin/sh\necho hi\n", null, null, Map.of()), "/nonexistent/dir-" + id);
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.exitCode()).isEqualTo(1);
        assertThat(end.detail()).isEqualTo("launch failed: cannot chdir to /nonexistent/dir-" + id
                + ": No such file or directory");

        long id2 = IDS.incrementAndGet();
        launch(id2, spec("badout", "#!/bin/sh\necho hi\n", "no-such-dir/x.out", null, Map.of()));
        StepFinished end2 = finished(id2);
        assertThat(end2.state()).isEqualTo(JobState.FAILED);
        assertThat(end2.detail()).isEqualTo("launch failed: cannot open stdout file "
                + workDir.resolve("no-such-dir/x.out") + ": No such file or directory");
    }

    @Test
    void scriptSeesSlurmEnvironment() {
        long id = IDS.incrementAndGet();
        JobSpec spec = new JobSpec("envjob", "cpu", "physics", null, "#!/bin/sh\nenv\n", workDir.toString(),
                "env.out", null, Map.of("MY_VAR", "from-submit"),
                new Resources(2, null, 3, null, 1, 1024L, null, List.of(), false), 10);
        List<NodeAllocation> alloc = List.of(new NodeAllocation(NODE, 2, List.of(0, 1), 1024, List.of()),
                new NodeAllocation("tnode2", 1, List.of(0), 1024, List.of()));
        send(new LaunchRequested(NODE, id, Instant.now(), new Owner("alice", 1234, 5678), spec, alloc, 10,
                "testcluster"));
        assertThat(finished(id).state()).isEqualTo(JobState.COMPLETED);
        String env = TestFiles.read(workDir.resolve("env.out"));
        assertThat(env.lines().toList()).contains(
                "SLURM_JOB_ID=" + id, "SLURM_JOBID=" + id, "SLURM_JOB_NAME=envjob", "SLURM_NTASKS=3",
                "SLURM_NPROCS=3", "SLURM_CPUS_PER_TASK=1", "SLURM_JOB_NODELIST=tnode[1-2]",
                "SLURM_NODELIST=tnode[1-2]", "SLURM_NNODES=2", "SLURM_JOB_NUM_NODES=2",
                "SLURM_SUBMIT_DIR=" + workDir, "SLURM_JOB_PARTITION=cpu", "SLURM_JOB_ACCOUNT=physics",
                "SLURM_CLUSTER_NAME=testcluster", "SLURMD_NODENAME=" + NODE, "SLURM_JOB_USER=alice",
                "SLURM_JOB_UID=1234", "SLURM_JOB_GID=5678", "SLURM_JOB_CPUS_PER_NODE=2,1",
                "SLURM_CPUS_ON_NODE=2", "SLURM_MEM_PER_NODE=1024", "SLURM_TASKS_PER_NODE=2,1",
                "MY_VAR=from-submit", "PWD=" + workDir);
    }

    @Test
    void cancelledJobEndsWithAllItsProcesses() {
        long id = IDS.incrementAndGet();
        // a unique duration marks this job's processes in /proc; one of them escapes into its own session
        String marker = "600.0" + ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L);
        launch(id, spec("sleeper", "#!/bin/bash\nsetsid sleep " + marker + " &\nsleep " + marker + "\n",
                null, null, Map.of()));
        TestFiles.await("both sleeps running", LIMIT,
                () -> TestFiles.processesMentioning(marker).size() >= 2 ? Optional.of(true) : Optional.empty());

        send(new SignalRequested(NODE, id, Instant.now(), "CANCELLED", 2));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.CANCELLED);
        TestFiles.await("no process of the job left", LIMIT,
                () -> TestFiles.processesMentioning(marker).isEmpty() ? Optional.of(true) : Optional.empty());
        assertThat(TestFiles.read(workDir.resolve("slurm-" + id + ".out")))
                .contains("*** JOB " + id + " ON " + NODE + " CANCELLED AT");
    }

    @Test
    void scriptTrappingSigtermWritesItsLastLine() {
        long id = IDS.incrementAndGet();
        launch(id, spec("trapper", """
                #!/bin/bash
                trap 'echo "caught SIGTERM, saving checkpoint"; exit 0' TERM
                echo started
                sleep 600 &
                wait
                """, "trap.out", null, Map.of()));
        TestFiles.await("the trap installed", LIMIT, () -> Files.exists(workDir.resolve("trap.out"))
                && TestFiles.read(workDir.resolve("trap.out")).contains("started") ? Optional.of(true) : Optional.empty());
        send(new SignalRequested(NODE, id, Instant.now(), "CANCELLED", 30));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.CANCELLED);
        assertThat(TestFiles.read(workDir.resolve("trap.out"))).contains("caught SIGTERM, saving checkpoint\n");
    }

    @Test
    void signalOptionWarnsTheBatchShellBeforeTheTimeLimit() {
        long id = IDS.incrementAndGet();
        // sbatch -t 1 --signal=B:USR1@50: the shell hears USR1 about 10 s after its start, long before TIMEOUT
        JobSpec spec = new JobSpec("warned", "cpu", null, null, """
                #!/bin/bash
                trap 'echo "USR1: time to checkpoint"' USR1
                echo started
                while true; do sleep 0.2; done
                """, workDir.toString(), "warned.out", null, Map.of(), Resources.of(1, 1, null), 1, null, null,
                null, null, null, null, null, null, null, null, null, "B:10@50");
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 1, "sluice"));
        TestFiles.await("the warning", LIMIT, () -> Files.exists(workDir.resolve("warned.out"))
                && TestFiles.read(workDir.resolve("warned.out")).contains("USR1: time to checkpoint")
                ? Optional.of(true) : Optional.empty());
        // still running after the warning: the signal was the warning, not the end
        assertThat(log.all(StepFinished.class).stream().anyMatch(f -> f.jobId() == id)).isFalse();
        send(new SignalRequested(NODE, id, Instant.now(), "CANCELLED", 2));
        assertThat(finished(id).state()).isEqualTo(JobState.CANCELLED);
        assertThat(TestFiles.read(workDir.resolve("warned.out"))).doesNotContain("TIME LIMIT");
    }

    @Test
    void theSchedulersResumeLiftsTheAgentsOwnDrain() {
        agent.supervisor().drain("maintenance by test");
        assertThat(agent.drainReason()).contains("maintenance by test");
        long refused = IDS.incrementAndGet();
        launch(refused, spec("refused", "#!/bin/sh\ntrue\n", null, null, Map.of()));
        StepFinished end = finished(refused);
        assertThat(end.detail()).isEqualTo("launch failed: node " + NODE + " is drained: maintenance by test; job requeued");
        assertThat(end.requeue()).isTrue();

        send(new NodeResumeRequested(NODE, Instant.now()));
        TestFiles.await("the drain lifted", LIMIT, () -> agent.drainReason().isEmpty() ? Optional.of(true) : Optional.empty());
        long id = IDS.incrementAndGet();
        launch(id, spec("after-resume", "#!/bin/sh\ntrue\n", null, null, Map.of()));
        assertThat(finished(id).state()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void repeatedLaunchRunsOnceAndOtherNodesCommandsAreIgnored() {
        long dup = IDS.incrementAndGet();
        LaunchRequested launch = new LaunchRequested(NODE, dup, Instant.now(), TestSettings.NOBODY,
                spec("dup", "#!/bin/sh\necho ran >> runs.txt\n", null, null, Map.of()), List.of(), 0, null);
        send(launch);
        send(launch);

        // a node whose key lands on this node's partition, so the agent sees its records and must skip them
        String other = otherNodeOnMyPartition();
        long foreign = IDS.incrementAndGet();
        send(new LaunchRequested(other, foreign, Instant.now(), TestSettings.NOBODY,
                spec("foreign", "#!/bin/sh\ntouch foreign-ran\n", null, null, Map.of()), List.of(), 0, null));

        // commands of one node are handled in order: once this one has ended, the ones above were handled
        long after = IDS.incrementAndGet();
        launch(after, spec("after", "#!/bin/sh\ntrue\n", null, null, Map.of()));
        assertThat(finished(after).state()).isEqualTo(JobState.COMPLETED);
        assertThat(finished(dup).state()).isEqualTo(JobState.COMPLETED);

        assertThat(TestFiles.read(workDir.resolve("runs.txt"))).isEqualTo("ran\n");
        assertThat(log.all(StepStarted.class).stream().filter(s -> s.jobId() == dup)).hasSize(1);
        assertThat(log.all(StepFinished.class).stream().filter(s -> s.jobId() == dup)).hasSize(1);
        assertThat(workDir.resolve("foreign-ran")).doesNotExist();
        assertThat(log.all(StepStarted.class).stream().filter(s -> s.jobId() == foreign)).isEmpty();
    }

    // ------------------------------------------------------------------ user, cgroups, binding

    @Test
    void jobRunsAsItsUserAndItsOutputBelongsToThem() throws Exception {
        long id = IDS.incrementAndGet();
        launch(id, spec("whoami", "#!/bin/sh\nid -u\nid -g\ntouch made-by-job\n", "who.out", null, Map.of()));
        assertThat(finished(id).state()).isEqualTo(JobState.COMPLETED);
        assertThat(TestFiles.read(workDir.resolve("who.out"))).isEqualTo("65534\n65534\n");
        assertThat(Files.getAttribute(workDir.resolve("who.out"), "unix:uid")).isEqualTo(65534);
        assertThat(Files.getAttribute(workDir.resolve("made-by-job"), "unix:uid")).isEqualTo(65534);
    }

    @Test
    void jobThatCannotWriteItsOutputFailsAsItsUserWould() throws Exception {
        Path closed = Files.createDirectory(workDir.resolve("root-only"));
        Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        long id = IDS.incrementAndGet();
        launch(id, spec("denied", "#!/bin/sh\necho hi\n", "root-only/x.out", null, Map.of()));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.detail()).isEqualTo("launch failed: cannot open stdout file " + closed.resolve("x.out")
                + ": Permission denied");
        assertThat(closed.resolve("x.out")).doesNotExist();
    }

    @Test
    void memoryLimitExceededEndsOutOfMemory() {
        long id = IDS.incrementAndGet();
        // --mem=100M, a task that wants 500 MB
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY,
                spec("hog", "#!/bin/sh\necho start\nperl -e '$x = \"a\" x (500 * 1024 * 1024); print \"survived\\n\"'\n",
                        "hog.out", null, Map.of()),
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 5, "sluice"));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.OUT_OF_MEMORY);
        assertThat(end.detail()).contains("memory limit");
        assertThat(TestFiles.read(workDir.resolve("hog.out"))).startsWith("start\n").doesNotContain("survived");
    }

    @Test
    void jobWithinItsMemoryLimitCompletes() {
        long id = IDS.incrementAndGet();
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY,
                spec("small", "#!/bin/sh\nperl -e '$x = \"a\" x (20 * 1024 * 1024); print length($x), \"\\n\"'\n",
                        "small.out", null, Map.of()),
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 5, "sluice"));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        // rusage of the tree sluice-stepd waited for: the perl that held 20 MB
        assertThat(end.usage().maxRssKb()).isGreaterThan(20 * 1024);
    }

    @Test
    void eachJobSeesOnlyItsOwnCpu() throws Exception {
        List<Integer> online = TestSettings.onlineCpus();
        org.junit.jupiter.api.Assumptions.assumeTrue(online.size() >= 2,
                "needs a host with two CPUs to give two jobs different ones (has " + online + ")");
        String script = "#!/bin/sh\nnproc\ngrep Cpus_allowed_list /proc/self/status\n"
                + "while [ ! -e go ]; do sleep 0.05; done\n";
        long a = IDS.incrementAndGet();
        long b = IDS.incrementAndGet();
        for (long[] job : new long[][]{{a, online.get(0)}, {b, online.get(1)}}) {
            send(new LaunchRequested(NODE, job[0], Instant.now(), TestSettings.NOBODY,
                    spec("onecpu", script, "cpu-" + job[0] + ".out", null, Map.of()),
                    List.of(new NodeAllocation(NODE, 1, List.of((int) job[1]), 0, List.of())), 5, "sluice"));
        }
        // both run at the same time
        TestFiles.await("both jobs running", LIMIT, () -> Files.exists(workDir.resolve("cpu-" + b + ".out"))
                && TestFiles.read(workDir.resolve("cpu-" + b + ".out")).contains("Cpus_allowed_list")
                && TestFiles.read(workDir.resolve("cpu-" + a + ".out")).contains("Cpus_allowed_list")
                ? Optional.of(true) : Optional.empty());
        Path cpuset = Path.of("/sys/fs/cgroup/cpuset/sluice/" + NODE + "/job_" + a + "/cpuset.cpus");
        if (Files.exists(Path.of("/sys/fs/cgroup/cpuset/cpuset.cpus"))) {
            assertThat(TestFiles.read(cpuset).trim()).isEqualTo(online.get(0).toString());
        }
        Files.createFile(workDir.resolve("go"));
        assertThat(finished(a).state()).isEqualTo(JobState.COMPLETED);
        assertThat(finished(b).state()).isEqualTo(JobState.COMPLETED);
        assertThat(TestFiles.read(workDir.resolve("cpu-" + a + ".out")).lines().toList())
                .containsExactly("1", "Cpus_allowed_list:\t" + online.get(0));
        assertThat(TestFiles.read(workDir.resolve("cpu-" + b + ".out")).lines().toList())
                .containsExactly("1", "Cpus_allowed_list:\t" + online.get(1));
        // the job's cgroups are gone once it has been reported
        TestFiles.await("cgroup removed", LIMIT, () -> Files.exists(cpuset.getParent())
                ? Optional.empty() : Optional.of(true));
    }

    @Test
    void twoOfFourGpusAreVisibleAndTheOthersRefused() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/sys/fs/cgroup/devices/cgroup.procs")),
                "needs the cgroup v1 devices controller at /sys/fs/cgroup/devices");
        long id = IDS.incrementAndGet();
        Path gpus = FakeGpuResource.dir;
        String script = "#!/bin/sh\necho CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES\necho SLURM_JOB_GPUS=$SLURM_JOB_GPUS\n"
                + "echo GPU_DEVICE_ORDINAL=$GPU_DEVICE_ORDINAL\n"
                + "for i in 0 1 2 3; do cat " + gpus + "/nvidia$i 2>&1 | sed \"s|.*: |$i: |\"; done\n";
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY,
                spec("gpus", script, "gpus.out", null, Map.of()),
                List.of(new NodeAllocation(NODE, 1, List.of(0), 0, List.of(1, 3))), 5, "sluice"));
        assertThat(finished(id).state()).isEqualTo(JobState.COMPLETED);
        // the devices cgroup hides GPUs 0 and 2, so CUDA numbers the job's two GPUs 0 and 1, as under Slurm
        assertThat(TestFiles.read(workDir.resolve("gpus.out")).lines().toList()).containsExactly(
                "CUDA_VISIBLE_DEVICES=0,1", "SLURM_JOB_GPUS=1,3", "GPU_DEVICE_ORDINAL=0,1",
                "0: Operation not permitted", "1: No such device or address",
                "2: Operation not permitted", "3: No such device or address");
    }

    @Test
    void gpuThatTheNodeDoesNotHaveFailsTheLaunch() {
        long id = IDS.incrementAndGet();
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY,
                spec("gpu9", "#!/bin/sh\ntrue\n", null, null, Map.of()),
                List.of(new NodeAllocation(NODE, 1, List.of(0), 0, List.of(9))), 5, "sluice"));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.detail()).isEqualTo("launch failed: GPU 9 is not on node " + NODE + " (it has 4)");
    }

    @Test
    void taskIgnoringSigtermIsKilledAfterKillWait() {
        long id = IDS.incrementAndGet();
        String marker = "600.0" + ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L);
        // an ignored signal stays ignored across fork and exec: the sleep ignores SIGTERM too
        launch(id, spec("stubborn", "#!/bin/sh\ntrap '' TERM\necho ready\nsleep " + marker + "\necho after\n",
                "stubborn.out", null, Map.of()));
        TestFiles.await("the job ready", LIMIT, () -> Files.exists(workDir.resolve("stubborn.out"))
                && TestFiles.read(workDir.resolve("stubborn.out")).contains("ready")
                && !TestFiles.processesMentioning(marker).isEmpty() ? Optional.of(true) : Optional.empty());
        send(new SignalRequested(NODE, id, Instant.now(), "CANCELLED", 2));
        StepFinished end = finished(id);
        assertThat(end.state()).isEqualTo(JobState.CANCELLED);
        // SIGTERM changed nothing; SIGKILL after KillWait ended it
        assertThat(end.exitCode() + ":" + end.signal()).isEqualTo("0:9");
        assertThat(TestFiles.read(workDir.resolve("stubborn.out"))).doesNotContain("after");
        TestFiles.await("no process of the job left", LIMIT,
                () -> TestFiles.processesMentioning(marker).isEmpty() ? Optional.of(true) : Optional.empty());
    }

    @Test
    void ulimitSetInTheScriptIsInheritedByWhatItStarts() throws Exception {
        long hard = TestFiles.hardMemlockKb();
        long id = IDS.incrementAndGet();
        // a limit below the hard one is always allowed: the script lowers it, its children see it
        launch(id, spec("ulimit", "#!/bin/bash\nulimit -l " + Math.min(hard, 64) + "\nsh -c 'ulimit -l'\n",
                "ulimit.out", null, Map.of()));
        assertThat(finished(id).state()).isEqualTo(JobState.COMPLETED);
        assertThat(TestFiles.read(workDir.resolve("ulimit.out"))).isEqualTo(Math.min(hard, 64) + "\n");

        org.junit.jupiter.api.Assumptions.assumeTrue(hard < 0,
                "ulimit -l unlimited needs an unlimited hard memlock limit for jobs; this host's is " + hard
                        + " KiB and root lacks CAP_SYS_RESOURCE to raise it (set sluice.node.rlimits=memlock=unlimited "
                        + "on an agent that has it)");
        long id2 = IDS.incrementAndGet();
        launch(id2, spec("unlimited", "#!/bin/bash\nulimit -l unlimited && sh -c 'ulimit -l'\n", "unl.out", null,
                Map.of()));
        assertThat(finished(id2).state()).isEqualTo(JobState.COMPLETED);
        assertThat(TestFiles.read(workDir.resolve("unl.out"))).isEqualTo("unlimited\n");
    }

    // ---- srun steps (docs/steps.md) over real HTTP, as srun sends them

    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).build();

    /** A running job whose token the test knows (as srun outside an allocation sets it). */
    long stepJob(String token) throws IOException {
        TestSettings.openToAll(workDir);
        long id = IDS.incrementAndGet();
        JobSpec spec = new JobSpec("steps", "cpu", null, null, "#!/bin/sh\nsleep 600\n", workDir.toString(), null, null,
                Map.of("SLUICE_JOB_TOKEN", token, "PATH", "/usr/bin:/bin"), Resources.of(1, 1, null), 5);
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 5, "sluice"));
        log.await(dev.sluice.contracts.step.StepStarted.class, s -> s.jobId() == id, LIMIT);
        return id;
    }

    void endStepJob(long id) {
        send(new SignalRequested(NODE, id, Instant.now(), "CANCELLED", 0));
        log.await(StepFinished.class, f -> f.jobId() == id && f.stepId().equals("batch"), LIMIT);
    }

    static HttpResponse<Stream<String>> step(long id, String token, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port
                        + "/api/v1/jobs/" + id + "/steps")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("X-Sluice-Job-Token", token);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofLines());
    }

    @Test
    void aStepStreamsItsTasksOutputAndEndsWithFinished() throws Exception {
        String token = "tok-" + UUID.randomUUID();
        long id = stepJob(token);
        var response = step(id, token, """
                {"argv":["/bin/sh","-c","echo hello from $SLURM_PROCID; exit $SLURM_PROCID"],"env":{"PATH":"/usr/bin:/bin"}}
                """);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/x-ndjson");
        List<JsonNode> events = new ArrayList<>();
        response.body().forEach(l -> {
            try {
                events.add(Json.MAPPER.readTree(l));
            } catch (IOException e) {
                throw new AssertionError(l, e);
            }
        });
        assertThat(events.getFirst().path("type").asText()).isEqualTo("started");
        assertThat(events.getFirst().path("nodes").asText()).isEqualTo(NODE);
        assertThat(events.getFirst().path("ntasks").asInt()).isEqualTo(1);
        assertThat(events).anySatisfy(e -> assertThat(e.toString()).contains("\"data\":\"hello from 0\\n\""));
        JsonNode last = events.getLast();
        assertThat(last.path("type").asText()).isEqualTo("finished");
        assertThat(last.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(last.path("stepId").asInt()).isZero();
        StepFinished part = log.await(StepFinished.class, f -> f.jobId() == id && f.stepId().equals("0"), LIMIT);
        assertThat(part.state()).isEqualTo(JobState.COMPLETED);
        endStepJob(id);
    }

    @Test
    void wrongOrMissingTokensAreRefusedAndOversizedStepsGetSlurmsMessage() throws Exception {
        String token = "tok-" + UUID.randomUUID();
        long id = stepJob(token);
        String body = "{\"argv\":[\"true\"]}";
        given().contentType("application/json").body(body).post("/api/v1/jobs/" + id + "/steps")
                .then().statusCode(403).body("error", containsString("Access/permission denied"));
        given().contentType("application/json").header("X-Sluice-Job-Token", "nope").body(body)
                .post("/api/v1/jobs/" + id + "/steps").then().statusCode(403);
        given().contentType("application/json").header("X-Sluice-Job-Token", token)
                .body("{\"argv\":[\"true\"],\"ntasks\":2}").post("/api/v1/jobs/" + id + "/steps")
                .then().statusCode(400).body("error", equalTo("srun: error: Unable to create step for job " + id
                        + ": More processors requested than permitted"));
        given().contentType("application/json").header("X-Sluice-Job-Token", token).body(body)
                .post("/api/v1/jobs/" + (id + 100_000) + "/steps").then().statusCode(404);
        given().header("X-Sluice-Job-Token", token).post("/api/v1/jobs/" + id + "/steps/77/signal?signal=INT")
                .then().statusCode(404);
        endStepJob(id);
    }

    @Test
    void aClientThatGoesAwayTakesItsStepAlong() throws Exception {
        String token = "tok-" + UUID.randomUUID();
        long id = stepJob(token);
        var response = step(id, token, """
                {"argv":["/bin/sh","-c","echo ready; exec sleep 602"],"env":{"PATH":"/usr/bin:/bin"}}
                """);
        Stream<String> lines = response.body();
        Iterator<String> it = lines.iterator();
        while (it.hasNext() && !it.next().contains("ready")) {
            // until the task runs
        }
        lines.close();
        StepFinished part = log.await(StepFinished.class, f -> f.jobId() == id && f.stepId().equals("0"), LIMIT);
        assertThat(part.state()).isEqualTo(JobState.CANCELLED);
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("sleep 602")))
                .isEmpty();
        endStepJob(id);
    }

    @Test
    void aJobOfSrunOutsideAnAllocationKeepsItsOutputForSrunToFollow() throws Exception {
        TestSettings.openToAll(workDir);
        String token = "tok-" + UUID.randomUUID();
        long id = IDS.incrementAndGet();
        JobSpec spec = new JobSpec("attached", "cpu", null, null,
                "#!/bin/sh\necho out1\necho err1 >&2\nwhile [ ! -e go ]; do sleep 0.1; done\necho out2\nexit 3\n",
                workDir.toString(), null, null, Map.of("SLUICE_JOB_TOKEN", token, "SLUICE_SRUN_ATTACH", "1",
                "PATH", "/usr/bin:/bin"), Resources.of(1, 1, null), 5);
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 5, "sluice"));
        log.await(dev.sluice.contracts.step.StepStarted.class, s -> s.jobId() == id, LIMIT);
        String base = "http://localhost:" + RestAssured.port + "/api/v1/jobs/" + id + "/output";
        var following = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "?stream=stdout&follow=true"))
                .header("X-Sluice-Job-Token", token).build(), HttpResponse.BodyHandlers.ofString());
        Files.createFile(workDir.resolve("go"));
        HttpResponse<String> out = following.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(out.statusCode()).isEqualTo(200);
        assertThat(out.body()).isEqualTo("out1\nout2\n");
        assertThat(finished(id).exitCode()).isEqualTo(3);
        assertThat(workDir.resolve("slurm-" + id + ".out")).as("kept in the job directory instead").doesNotExist();
        given().header("X-Sluice-Job-Token", token).get(base + "?stream=stderr").then().statusCode(200)
                .body(equalTo("err1\n"));
        given().header("X-Sluice-Job-Token", "nope").get(base + "?stream=stderr").then().statusCode(403);
    }

    @Test
    void theMpiPluginsAreListed() {
        given().get("/api/v1/mpi").then().statusCode(200).body("name", hasItems("none", "pmi2", "pmix"));
    }

    private static String otherNodeOnMyPartition() {
        int mine = CommandPartition.of(NODE, 6);
        for (int i = 0; ; i++) {
            if (CommandPartition.of("other" + i, 6) == mine) {
                return "other" + i;
            }
        }
    }

    private JobSpec spec(String name, String script, String stdout, String stderr, Map<String, String> env) {
        return new JobSpec(name, "cpu", null, null, script, workDir.toString(), stdout, stderr, env,
                Resources.of(1, 1, null), 5);
    }

    private void launch(long id, JobSpec spec) {
        launch(id, spec, spec.workDir());
    }

    private void launch(long id, JobSpec spec, String workDir) {
        JobSpec s = new JobSpec(spec.name(), spec.partition(), spec.account(), spec.qos(), spec.script(), workDir,
                spec.stdout(), spec.stderr(), spec.env(), spec.resources(), spec.timeLimitMinutes());
        send(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY, s,
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 5, "sluice"));
    }

    private static void send(Event e) {
        try {
            producer.send(KafkaCloudEvents.toRecord("test", e, UUID.randomUUID().toString())).get();
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    private static StepFinished finished(long id) {
        return log.await(StepFinished.class, f -> f.jobId() == id, LIMIT);
    }
}
