package dev.sluice.nodeagent.step;

import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.launcher.StepLauncher;
import dev.sluice.nodeagent.cgroup.CgroupDriver;
import dev.sluice.nodeagent.discovery.Gpus;
import dev.sluice.nodeagent.launch.JobSupervisor;
import dev.sluice.nodeagent.launch.StepEventSink;
import dev.sluice.nodeagent.launch.TestSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Steps through the step code with real processes: two node agents' supervisors in one JVM ("sa" leads, "sb" is
 * reached through an in-process {@link RemoteAgents}), each with 4 virtual CPUs on this host's real ones, a batch
 * job running as nobody on both, tasks started by sluice-stepd in the job's cgroups.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StepRunTest {
    static final AtomicLong IDS = new AtomicLong(700);
    Path root;
    Path work;
    JobSupervisor sa;
    JobSupervisor sb;
    final Events eventsA = new Events();
    final Events eventsB = new Events();
    final StepService registry = new StepService();
    /** node sb's warm PMIx helper (sa's belongs to {@code registry}, as in the agent) */
    PmixSpares sbSpares;
    List<Integer> online;

    static final class Events implements StepEventSink {
        final List<Object> all = new CopyOnWriteArrayList<>();

        @Override
        public void started(StepStarted event) {
            all.add(event);
        }

        @Override
        public void finished(StepFinished event) {
            all.add(event);
        }

        List<StepFinished> finished(long job, String step) {
            return all.stream().filter(e -> e instanceof StepFinished f && f.jobId() == job && f.stepId().equals(step))
                    .map(StepFinished.class::cast).toList();
        }
    }

    /** The in-process stand-in for the other agent's internal endpoint, token check included. */
    final RemoteAgents inProcess = (node, spec, token, listener) -> {
        if (!sb.jobsToken(spec.jobId()).orElse("").equals(token)) {
            throw new StepRejected(403, "wrong token");
        }
        PartRun[] self = new PartRun[1];
        self[0] = PartRun.start(sb, spec, listener, null, sb::physicalCpus, () -> registry.remove(self[0]),
                sbSpares);
        return new RemoteAgents.RemotePart() {
            @Override
            public void signal(String sig) {
                self[0].signal(sig);
            }

            @Override
            public void cancel(String state) {
                self[0].cancel(state);
            }
        };
    };

    @BeforeAll
    void agents() throws IOException {
        root = Files.createTempDirectory("steprun");
        work = Files.createDirectories(root.resolve("work"));
        TestSettings.openToAll(root);
        TestSettings.openToAll(work);
        online = TestSettings.onlineCpus();
        sa = supervisor("sa", eventsA);
        sb = supervisor("sb", eventsB);
        sa.agentAddress("127.0.0.1:1");
        sb.agentAddress("127.0.0.1:2");
        registry.attach(sa, inProcess, "none", "127.0.0.1", sa::physicalCpus);
        sbSpares = PmixSpares.start("sb").orElse(null);
    }

    private JobSupervisor supervisor(String node, StepEventSink sink) throws IOException {
        var s = new JobSupervisor(new JobSupervisor.Settings(node, "c", Files.createDirectories(root.resolve(node)),
                Duration.ofSeconds(30), System.getenv(), StepLauncher.locate(),
                CgroupDriver.of("auto", Path.of("/sys/fs/cgroup")), List.of(0, 1, 2, 3), 0, Gpus.NONE, List.of(),
                null, null), sink);
        s.virtualCpus(online);
        s.start(Duration.ofMillis(100));
        return s;
    }

    @AfterAll
    void stop() {
        registry.close();
        if (sbSpares != null) {
            sbSpares.close();
        }
        sa.close();
        sb.close();
    }

    /** A job on sa and sb whose batch script waits, so that steps can run in it. */
    long job(String script) {
        long id = IDS.incrementAndGet();
        JobSpec spec = new JobSpec("steps", "cpu", null, null, script, work.toString(), null, null,
                Map.of("PATH", "/usr/bin:/bin"), Resources.of(8, 1, null), 0);
        List<NodeAllocation> alloc = List.of(new NodeAllocation("sa", 4, List.of(0, 1, 2, 3), 0, List.of()),
                new NodeAllocation("sb", 4, List.of(0, 1, 2, 3), 0, List.of()));
        Instant t = Instant.now();
        sa.launch(new LaunchRequested("sa", id, t, TestSettings.NOBODY, spec, alloc, 0, "c"));
        sb.launch(new LaunchRequested("sb", id, t, TestSettings.NOBODY, spec, alloc, 0, "c"));
        await("batch script of job " + id + " running", () -> sa.context(id).flatMap(JobSupervisor.JobContext::scriptPid));
        return id;
    }

    long waitingJob() {
        return job("#!/bin/sh\nsleep 600\n");
    }

    void endJob(long id) {
        sa.signal(id, "CANCELLED", Duration.ZERO);
        sb.signal(id, "JOB_END", Duration.ZERO);
    }

    static final class Collected implements StepCoordinator.Stream {
        final List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        @Override
        public void send(Map<String, Object> event) {
            events.add(event);
        }

        @Override
        public void close() {
            closed = true;
        }

        List<Map<String, Object>> of(String type) {
            return events.stream().filter(e -> type.equals(e.get("type"))).toList();
        }

        Map<String, Object> finished() {
            return of("finished").getFirst();
        }

        /** stdout per task, in arrival order. */
        Map<Integer, String> out() {
            return of("out").stream().collect(Collectors.groupingBy(e -> (Integer) e.get("task"),
                    java.util.TreeMap::new, Collectors.mapping(e -> (String) e.get("data"), Collectors.joining())));
        }

        String text(String type) {
            return of(type).stream().map(e -> (String) e.get("data")).collect(Collectors.joining());
        }
    }

    record Running(StepCoordinator coordinator, Collected stream, Thread thread) {
        Collected join() throws InterruptedException {
            assertThat(coordinator.await(120, TimeUnit.SECONDS)).as("step ended").isTrue();
            thread.join(10_000);
            return stream;
        }
    }

    Running start(long job, StepRequest request) throws StepRejected {
        Collected stream = new Collected();
        StepCoordinator c = StepCoordinator.create(registry.env(), job, request, stream);
        registry.add(c);
        Thread t = new Thread(() -> {
            try {
                c.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        return new Running(c, stream, t);
    }

    Collected run(long job, StepRequest request) throws Exception {
        return start(job, request).join();
    }

    static StepRequest request(List<String> argv, Integer ntasks, Integer nodesMin, String distribution,
                               Boolean killOnBadExit, String mpi) {
        return new StepRequest(argv, Map.of("PATH", "/usr/bin:/bin", "FROM_SRUN", "yes"), null, ntasks, nodesMin,
                null, null, null, null, distribution, null, mpi, killOnBadExit, null, null, null);
    }

    static List<String> sh(String script) {
        return List.of("/bin/sh", "-c", script);
    }

    @Test
    void fourTasksOnOneNodeRunAsTheUserEachOnItsOwnCpuInsideTheJobsCgroup() throws Exception {
        long id = waitingJob();
        Collected s = run(id, request(sh("echo \"$SLURM_PROCID $SLURM_LOCALID $SLURM_NODEID $SLURM_STEP_ID"
                + " $(id -u) $(grep Cpus_allowed_list /proc/self/status | cut -f2) $FROM_SRUN"
                + " $(grep -c job_$SLURM_JOB_ID/step_0 /proc/self/cgroup)\""), 4, null, null, null, null));

        assertThat(s.of("started").getFirst()).containsEntry("nodes", "sa").containsEntry("ntasks", 4)
                .containsEntry("tasksPerNode", "4").containsEntry("stepId", 0);
        assertThat(s.finished()).containsEntry("state", "COMPLETED").containsEntry("exitCode", 0);
        assertThat(s.of("exit")).hasSize(4).allSatisfy(e -> assertThat(e).containsEntry("exitCode", 0)
                .containsEntry("node", "sa"));
        Map<Integer, String> out = s.out();
        assertThat(out.keySet()).containsExactly(0, 1, 2, 3);
        boolean cgroups = !sa.settings().cgroups().version().equals("none");
        for (int rank = 0; rank < 4; rank++) {
            // virtual CPU `rank` of node sa is this host's online[rank mod |online|]
            int cpu = online.get(rank % online.size());
            String[] f = out.get(rank).trim().split(" ");
            assertThat(String.join(" ", List.of(f).subList(0, 7))).isEqualTo(rank + " " + rank + " 0 0 65534 " + cpu
                    + " yes");
            assertThat(Integer.parseInt(f[7])).as("hierarchies where the task is in job_<id>/step_0")
                    .matches(n -> cgroups ? n > 0 : n == 0);
        }
        assertThat(s.closed).isTrue();
        await("step events", () -> eventsA.finished(id, "0").stream().findFirst());
        assertThat(eventsA.all).anyMatch(e -> e instanceof StepStarted st && st.jobId() == id
                && st.stepId().equals("0"));
        endJob(id);
    }

    @Test
    void aStepAcrossTwoNodesAgreesOnMasterAndRanks() throws Exception {
        long id = waitingJob();
        Collected s = run(id, request(sh("echo \"$SLURMD_NODENAME $SLURM_PROCID $SLURM_LOCALID $SLURM_NODEID"
                + " $MASTER_ADDR $MASTER_PORT $WORLD_SIZE $RANK $LOCAL_RANK $LOCAL_WORLD_SIZE $SLURM_STEP_NODELIST"
                + " $SLURM_STEP_TASKS_PER_NODE $SLURM_NTASKS\""), 4, 2, null, null, null));
        assertThat(s.finished()).containsEntry("state", "COMPLETED");
        assertThat(s.of("started").getFirst()).containsEntry("nodes", "sa,sb").containsEntry("tasksPerNode", "2(x2)");
        int port = 29500 + (int) ((id * 16) % 10000);
        Map<Integer, String> out = s.out();
        assertThat(out).containsEntry(0, "sa 0 0 0 127.0.0.1 " + port + " 4 0 0 2 sa,sb 2(x2) 4\n")
                .containsEntry(1, "sa 1 1 0 127.0.0.1 " + port + " 4 1 1 2 sa,sb 2(x2) 4\n")
                .containsEntry(2, "sb 2 0 1 127.0.0.1 " + port + " 4 2 0 2 sa,sb 2(x2) 4\n")
                .containsEntry(3, "sb 3 1 1 127.0.0.1 " + port + " 4 3 1 2 sa,sb 2(x2) 4\n");
        assertThat(s.of("exit")).extracting(e -> e.get("node") + "/" + e.get("task"))
                .containsExactlyInAnyOrder("sa/0", "sa/1", "sb/2", "sb/3");
        // each node reports its own part of step 0
        await("both parts reported", () -> eventsA.finished(id, "0").isEmpty() || eventsB.finished(id, "0").isEmpty()
                ? Optional.empty() : Optional.of(true));

        Collected cyclic = run(id, request(sh("echo $SLURMD_NODENAME"), 4, 2, "cyclic", null, null));
        assertThat(cyclic.out()).containsEntry(0, "sa\n").containsEntry(1, "sb\n").containsEntry(2, "sa\n")
                .containsEntry(3, "sb\n");
        assertThat(cyclic.finished()).containsEntry("stepId", 1);
        endJob(id);
    }

    @Test
    void aStepLargerThanTheAllocationIsRefusedInSlurmsWords() {
        long id = waitingJob();
        assertThatThrownBy(() -> StepCoordinator.create(registry.env(), id, request(sh("true"), 9, null, null, null,
                null), new Collected())).isInstanceOfSatisfying(StepRejected.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("srun: error: Unable to create step for job " + id
                            + ": More processors requested than permitted");
                });
        assertThatThrownBy(() -> StepCoordinator.create(registry.env(), id, request(sh("true"), 2, null, null, null,
                "openmpi"), new Collected())).hasMessageContaining("mpi/openmpi");
        endJob(id);
    }

    @Test
    void killOnBadExitEndsEveryTaskOnEveryNode() throws Exception {
        long id = waitingJob();
        Collected s = run(id, request(sh("if [ $SLURM_PROCID = 3 ]; then exit 3; fi; exec sleep 600"), 4, 2, null,
                true, null));
        assertThat(s.finished()).containsEntry("state", "FAILED").containsEntry("exitCode", 3);
        assertThat((String) s.finished().get("detail")).contains("task 3 on sb exited with exit code 3");
        assertThat(s.of("exit")).hasSize(4);
        assertThat(s.of("exit")).filteredOn(e -> !e.get("task").equals(3))
                .allSatisfy(e -> assertThat(e).containsEntry("signal", 9));
        endJob(id);
    }

    @Test
    void signalsReachEveryTaskAndADroppedClientKillsTheStep() throws Exception {
        long id = waitingJob();
        Running r = start(id, request(sh("trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done"),
                2, 2, null, null, null));
        await("both tasks ready", () -> r.stream.out().values().stream().filter(o -> o.contains("ready")).count() == 2
                ? Optional.of(true) : Optional.empty());
        r.coordinator.signal("TERM");
        Collected s = r.join();
        assertThat(s.out().values()).allSatisfy(o -> assertThat(o).contains("got TERM"));
        assertThat(s.finished()).containsEntry("state", "CANCELLED").containsEntry("exitCode", 7);

        Running gone = start(id, request(sh("echo ready; exec sleep 601"), 2, 2, null, null, null));
        await("both tasks ready", () -> gone.stream.out().size() == 2 ? Optional.of(true) : Optional.empty());
        gone.coordinator.cancel("CANCELLED"); // what the HTTP layer does when srun's connection drops
        Collected g = gone.join();
        assertThat(g.finished()).containsEntry("state", "CANCELLED");
        assertThat(g.of("exit")).hasSize(2).allSatisfy(e -> assertThat(e).containsEntry("signal", 9));
        assertThat(processesRunning("sleep 601", 65534)).as("no task left").isZero();
        endJob(id);
    }

    @Test
    void theBatchScriptsLimitsReachTheTasksAndAStepEndsWithItsJob() throws Exception {
        long id = job("#!/bin/sh\nulimit -S -l 1024\nsleep 600\n");
        Collected s = run(id, request(sh("ulimit -l"), 2, 2, null, null, null));
        assertThat(s.out()).containsEntry(0, "1024\n").containsEntry(1, "1024\n");

        Running r = start(id, request(sh("echo ready; exec sleep 600"), 2, 2, null, null, null));
        await("both tasks ready", () -> r.stream.out().size() == 2 ? Optional.of(true) : Optional.empty());
        endJob(id);
        assertThat(r.join().finished()).containsEntry("state", "CANCELLED");
    }

    @Test
    void mpichRanksOnTwoNodesWireUpThroughPmi2AndAnAbortEndsTheStepNamingTheRank() throws Exception {
        Path ring = compile("/usr/bin/mpicc.mpich", "mpich libmpich-dev");
        long id = waitingJob();
        Collected s = run(id, request(List.of(ring.toString()), 4, 2, null, null, "pmi2"));
        assertThat(s.finished()).as(s.text("err")).containsEntry("state", "COMPLETED");
        Map<Integer, String> out = s.out();
        for (int rank = 0; rank < 4; rank++) {
            assertThat(out.get(rank)).contains("rank " + rank + " size 4").contains("rank " + rank + " allreduce 6");
        }
        assertThat(out.get(0)).contains("rank 0 token 1006");

        Collected abort = run(id, request(List.of(ring.toString(), "abort"), 4, 2, null, null, "pmi2"));
        assertThat(abort.finished()).containsEntry("state", "FAILED");
        assertThat((String) abort.finished().get("detail")).contains("task 1 on sa called MPI_Abort with exit code 7");
        endJob(id);
    }

    @Test
    void openMpiRanksOnTwoNodesWireUpThroughPmixAndAnAbortEndsTheStepNamingTheRank() throws Exception {
        Path ring = compile("/usr/bin/mpicc.openmpi", "openmpi-bin libopenmpi-dev libpmix-dev");
        assumeTrue(PmixLaunch.unavailable().isEmpty(), () -> "pmix unavailable: " + PmixLaunch.unavailable().get());
        long id = waitingJob();
        Collected s = run(id, request(List.of(ring.toString()), 4, 2, null, null, "pmix"));
        assertThat(s.finished()).as(s.text("err")).containsEntry("state", "COMPLETED");
        String out = s.text("out");
        for (int rank = 0; rank < 4; rank++) {
            assertThat(out).contains("rank " + rank + " size 4").contains("rank " + rank + " allreduce 6");
        }
        assertThat(out).contains("rank 0 token 1006");
        assertThat(s.of("exit")).extracting(e -> e.get("task")).containsExactlyInAnyOrder(0, 1, 2, 3);
        assertThat(s.of("exit")).allSatisfy(e -> assertThat(e).containsEntry("exitCode", 0));

        Collected abort = run(id, request(List.of(ring.toString(), "abort"), 4, 2, null, null, "pmix"));
        assertThat(abort.finished()).as(abort.text("err")).containsEntry("state", "FAILED");
        assertThat((String) abort.finished().get("detail")).contains("task 1 on sa called MPI_Abort with exit code 7");
        endJob(id);
    }

    @Test
    void pmixRanksRunAsTheUserInTheStepsCgroupEachOnItsOwnCpu() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mpicc.openmpi")), "/usr/bin/mpicc.openmpi not found: install"
                + " the Debian packages 'openmpi-bin libopenmpi-dev libpmix-dev' to run the real-MPI step tests");
        assumeTrue(PmixLaunch.unavailable().isEmpty(), () -> "pmix unavailable: " + PmixLaunch.unavailable().get());
        assertThat(registry.spares()).as("a warm PMIx helper on sa").isNotNull();
        long id = waitingJob();
        // 4 ranks on sa: virtual CPUs 0..3, each rank bound to its own, as non-MPI tasks are
        Collected s = run(id, request(sh("echo \"task $SLURM_PROCID uid $(id -u) pmix ${PMIX_RANK:-none} "
                + "$(grep Cpus_allowed_list /proc/self/status | tr -d '\t') $(grep -c job_$SLURM_JOB_ID/step_ "
                + "/proc/self/cgroup) $FROM_SRUN $LOCAL_RANK\""), 4, 1, null, null, "pmix"));
        assertThat(s.finished()).as(s.text("err")).containsEntry("state", "COMPLETED");
        String out = s.text("out");
        boolean cgroups = !sa.settings().cgroups().version().equals("none");
        for (int rank = 0; rank < 4; rank++) {
            assertThat(out).containsPattern("task " + rank + " uid 65534 pmix " + rank + " Cpus_allowed_list:"
                    + online.get(rank % online.size()) + " " + (cgroups ? "[1-9]" : "0") + " yes " + rank + "\n");
        }
        assertThat(s.of("exit")).extracting(e -> e.get("task")).containsExactlyInAnyOrder(0, 1, 2, 3);
        // the used spare is replaced by a fresh one, which comes up ready
        PmixSpares.Spare next = await("a new spare on sa", () -> registry.spares().current());
        assertThat(next.ready.get(90, TimeUnit.SECONDS)).isTrue();
        endJob(id);
    }

    @Test
    void aSpareHelperEndsWithTheAgentAndLeavesNothingBehind() throws Exception {
        assumeTrue(PmixLaunch.unavailable().isEmpty(), () -> "pmix unavailable: " + PmixLaunch.unavailable().get());
        PmixSpares spares = PmixSpares.start("sc").orElseThrow();
        PmixSpares.Spare s = spares.current().orElseThrow();
        assertThat(s.ready.get(90, TimeUnit.SECONDS)).as("spare said ready").isTrue();
        assertThat(Files.isDirectory(s.dir())).isTrue();
        assertThat(Files.getPosixFilePermissions(s.dir())).map(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE", "OWNER_EXECUTE", "GROUP_EXECUTE",
                        "OTHERS_EXECUTE");
        spares.close();
        assertThat(s.process().isAlive()).isFalse();
        assertThat(Files.exists(s.dir())).isFalse();
        assertThat(spares.current()).isEmpty();
    }

    /**
     * Benchmark, not a test (-Dsluice.bench=true, README): agent-side {@code --mpi=pmix} launch of a 2-rank Open MPI
     * ring on one node, request to {@code finished}, interleaved with {@code mpirun.openmpi -np 2} of the same program.
     */
    @Test
    void pmixStepAgainstMpirun() throws Exception {
        assumeTrue(Boolean.getBoolean("sluice.bench"), "benchmark: run with -Dsluice.bench=true");
        Path ring = compile("/usr/bin/mpicc.openmpi", "openmpi-bin libopenmpi-dev libpmix-dev");
        assumeTrue(PmixLaunch.unavailable().isEmpty(), "pmix unavailable");
        int runs = Integer.getInteger("sluice.bench.runs", 5);
        long id = waitingJob();
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        List<Long> step = new ArrayList<>();
        List<Long> mpirun = new ArrayList<>();
        for (int i = 0; i < runs + 1; i++) {
            // the agent replaces its spare after each step: that JVM start must not fall into either measurement
            registry.spares().current().orElseThrow().ready.get(120, TimeUnit.SECONDS);
            Thread.sleep(1000);
            long t0 = System.nanoTime();
            Collected s = run(id, new StepRequest(List.of(ring.toString()), Map.of("PATH", "/usr/bin:/bin"), null, 2,
                    null, null, null, null, null, null, null, "pmix", null, "sa", null, null));
            long t = System.nanoTime() - t0;
            assertThat(s.finished()).as(s.text("err")).containsEntry("state", "COMPLETED");
            registry.spares().current().orElseThrow().ready.get(120, TimeUnit.SECONDS);
            Thread.sleep(1000);
            t0 = System.nanoTime();
            Process p = new ProcessBuilder("/usr/bin/mpirun.openmpi", "--allow-run-as-root", "--oversubscribe",
                    "-np", "2", ring.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            long m = System.nanoTime() - t0;
            if (i >= 1) {
                step.add(t);
                mpirun.add(m);
            }
        }
        endJob(id);
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        String report = "2-rank Open MPI ring, --mpi=pmix step request to finished (agent side, warm spare helper, "
                + step.size() + " runs): median " + StepBench.median(step) + " ms, min " + StepBench.min(step)
                + " ms\nmpirun.openmpi --oversubscribe -np 2 ring (" + mpirun.size() + " runs, interleaved): median "
                + StepBench.median(mpirun) + " ms, min " + StepBench.min(mpirun) + " ms\nload average before: " + loadBefore + ", after: " + load
                + "\n";
        System.out.print(report);
        Files.writeString(Path.of("target/pmix-step-bench.txt"), report);
    }

    Path compile(String mpicc, String packages) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of(mpicc)), mpicc + " not found: install the Debian packages '" + packages
                + "' to run the real-MPI step tests");
        Path dir = Files.createTempDirectory(root, "mpi");
        TestSettings.openToAll(dir);
        Path source = dir.resolve("ring.c");
        try (InputStream in = StepRunTest.class.getResourceAsStream("/mpi/ring.c")) {
            Files.copy(in, source);
        }
        Path bin = dir.resolve("ring");
        Process cc = new ProcessBuilder(mpicc, "-O1", "-o", bin.toString(), source.toString())
                .redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes());
        assertThat(cc.waitFor()).as(out).isZero();
        return bin;
    }

    static long processesRunning(String cmd, int uid) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(cmd))
                .filter(p -> p.info().user().map(u -> u.equals("nobody")).orElse(false)).count();
    }

    static <T> T await(String what, Supplier<Optional<T>> value) {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Optional<T> v = value.get();
            if (v.isPresent()) {
                return v.get();
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
