package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.nodeagent.cgroup.JobCgroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

import static dev.sluice.nodeagent.launch.JobSupervisorRestartTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The end of a job beyond scancel: sbatch --signal before the time limit, and processes that survive SIGKILL
 * (Slurm's UnkillableStepTimeout), against real processes and this host's v1 cgroups.
 */
class JobEndingTest {
    static final String NODE = "enode";
    static final Path FREEZER = Path.of("/sys/fs/cgroup/freezer");

    @TempDir
    Path stateDir;
    @TempDir
    Path workDir;

    final List<JobSupervisor> supervisors = new ArrayList<>();
    final List<Path> freezers = new ArrayList<>();

    @BeforeEach
    void openWorkDir() throws IOException {
        TestSettings.openToAll(workDir);
    }

    @AfterEach
    void stop() throws IOException {
        for (Path f : freezers) {
            // thaw whatever a failed test left frozen, so it dies and its cgroups can go
            Files.writeString(f.resolve("freezer.state"), "THAWED");
            Files.deleteIfExists(f);
        }
        supervisors.forEach(JobSupervisor::close);
    }

    private JobSupervisor supervisor(JobSupervisorRestartTest.Collected sink) throws IOException {
        JobSupervisor s = new JobSupervisor(TestSettings.of(NODE + ThreadLocalRandom.current().nextInt(1_000_000),
                stateDir), sink);
        supervisors.add(s);
        s.start(Duration.ofMillis(100));
        return s;
    }

    private LaunchRequested launch(JobSupervisor s, long id, String script, String signal, int minutes) {
        JobSpec spec = new JobSpec("e", "cpu", null, null, script, workDir.toString(), "job-%j.out", null,
                Map.of(), Resources.of(1, 1, null), minutes, null, null, null, null, null, null, null, null, null,
                null, null, signal);
        return new LaunchRequested(s.node(), id, Instant.now(), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation(s.node(), 1, List.of(0), 100, List.of())), minutes, "c");
    }

    private String output(long id) {
        try {
            Path f = workDir.resolve("job-" + id + ".out");
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void batchSignalReachesTheShellBeforeTheTimeLimit() throws IOException {
        JobSupervisorRestartTest.Collected sink = new JobSupervisorRestartTest.Collected();
        JobSupervisor s = supervisor(sink);
        // a 12 s minute: -t 1 with --signal=B:USR1@30 signals half-way, the time limit ends it afterwards
        s.timeLimitMinute(Duration.ofSeconds(12));
        long id = 301;
        s.launch(launch(s, id, """
                #!/bin/bash
                trap 'echo "got USR1"' USR1
                echo started
                while true; do sleep 0.2; done
                """, "B:10@30", 1));
        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.TIMEOUT);
        String out = output(id);
        assertThat(out).contains("started", "got USR1", "DUE TO TIME LIMIT");
        // the warning came before the time limit, and the shell lived on after it
        assertThat(out.indexOf("got USR1")).isLessThan(out.indexOf("DUE TO TIME LIMIT"));
    }

    @Test
    void signalWithoutBatchReachesStepTasksAndNotTheShell() throws IOException {
        JobSupervisorRestartTest.Collected sink = new JobSupervisorRestartTest.Collected();
        JobSupervisor s = supervisor(sink);
        // a long minute: the warning is far off, so the test puts a task into a step cgroup first
        s.timeLimitMinute(Duration.ofSeconds(600));
        long id = 302;
        s.launch(launch(s, id, """
                #!/bin/bash
                trap 'echo "shell got USR1"' USR1
                bash -c 'trap "echo task got USR1; exit 0" USR1; echo $$ > task.pid; while true; do sleep 0.2; done' &
                wait
                echo "shell done"
                """, "10@60", 1));
        long task = Long.parseLong(await("the task's pid", () -> read(workDir.resolve("task.pid"))));
        JobCgroup step = s.context(id).orElseThrow().cgroup().child("step_0");
        assumeTrue(!step.procsFiles().isEmpty(), "needs writable cgroups");
        for (Path procs : step.procsFiles()) {
            Files.writeString(procs, Long.toString(task));
        }
        s.warnNow(id);
        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        assertThat(output(id)).contains("task got USR1", "shell done").doesNotContain("shell got USR1");
    }

    @Test
    void processesThatSurviveSigkillDrainTheNodeAndTheJobStillEnds() throws IOException {
        assumeTrue(Files.isWritable(FREEZER.resolve("cgroup.procs")), "needs the v1 freezer controller");
        JobSupervisorRestartTest.Collected sink = new JobSupervisorRestartTest.Collected();
        JobSupervisor s = supervisor(sink);
        List<String> drains = new CopyOnWriteArrayList<>();
        s.drainListener(drains::add);
        s.unkillableStepTimeout(Duration.ofSeconds(2));
        long id = 303;
        s.launch(launch(s, id, "#!/bin/sh\necho $$ > shell.pid\nsleep 1000\n", null, 0));
        await("the job's shell", () -> read(workDir.resolve("shell.pid")));
        JobCgroup cgroup = s.context(id).orElseThrow().cgroup();
        assumeTrue(!cgroup.procsFiles().isEmpty(), "needs writable cgroups");
        await("the job's sleep", () -> cgroup.pids().size() >= 2 ? Optional.of(true) : Optional.empty());
        // a frozen v1 freezer cgroup keeps its tasks alive through SIGKILL until it is thawed: the stand-in for a
        // task stuck in the kernel (uninterruptible I/O on a dead file system), which a test cannot make on demand
        Path freezer = Files.createDirectory(FREEZER.resolve("sluice-test-" + ThreadLocalRandom.current().nextInt(1_000_000)));
        freezers.add(freezer);
        for (long pid : cgroup.pids()) {
            Files.writeString(freezer.resolve("cgroup.procs"), Long.toString(pid));
        }
        Files.writeString(freezer.resolve("freezer.state"), "FROZEN");
        await("frozen", () -> read(freezer.resolve("freezer.state")).filter("FROZEN"::equals));

        s.signal(id, "CANCELLED", Duration.ZERO);
        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.CANCELLED);
        assertThat(end.detail()).contains("survived SIGKILL", "UnkillableStepTimeout", "Kill task failed");
        assertThat(drains).containsExactly("Kill task failed");
        assertThat(s.drainReason()).contains("Kill task failed");
        assertThat(Files.readString(stateDir.resolve("drain-reason")).strip()).isEqualTo("Kill task failed");
        assertThat(cgroup.pids()).isNotEmpty();

        Files.writeString(freezer.resolve("freezer.state"), "THAWED");
        // thawed, the pending SIGKILL lands and the agent removes the job's cgroups
        await("the job's cgroups gone", () -> cgroup.dirs().stream().noneMatch(Files::exists)
                ? Optional.of(true) : Optional.empty());
        assertThat(drains).hasSize(1);
    }

    @Test
    void processesLeftBehindThatSurviveSigkillDrainTheNode() throws IOException {
        assumeTrue(Files.isWritable(FREEZER.resolve("cgroup.procs")), "needs the v1 freezer controller");
        JobSupervisorRestartTest.Collected sink = new JobSupervisorRestartTest.Collected();
        JobSupervisor s = supervisor(sink);
        List<String> drains = new CopyOnWriteArrayList<>();
        s.drainListener(drains::add);
        s.unkillableStepTimeout(Duration.ofSeconds(2));
        long id = 304;
        s.launch(launch(s, id, "#!/bin/sh\n(sleep 1000 & echo $! > child.pid)\nwhile [ ! -e go ]; do sleep 0.1; done\n",
                null, 0));
        long child = Long.parseLong(await("the job's child", () -> read(workDir.resolve("child.pid"))));
        JobCgroup cgroup = s.context(id).orElseThrow().cgroup();
        assumeTrue(!cgroup.procsFiles().isEmpty(), "needs writable cgroups");
        Path freezer = Files.createDirectory(FREEZER.resolve("sluice-test-" + ThreadLocalRandom.current().nextInt(1_000_000)));
        freezers.add(freezer);
        Files.writeString(freezer.resolve("cgroup.procs"), Long.toString(child));
        Files.writeString(freezer.resolve("freezer.state"), "FROZEN");
        await("frozen", () -> read(freezer.resolve("freezer.state")).filter("FROZEN"::equals));

        // the batch script ends by itself: its end is reported at once, the stuck child drains the node later
        Files.writeString(workDir.resolve("go"), "");
        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        await("the drain", () -> drains.isEmpty() ? Optional.empty() : Optional.of(true));
        assertThat(drains).containsExactly("Kill task failed");
        Files.writeString(freezer.resolve("freezer.state"), "THAWED");
        await("the job's cgroups gone", () -> cgroup.dirs().stream().noneMatch(Files::exists)
                ? Optional.of(true) : Optional.empty());
    }

    private static Optional<String> read(Path f) {
        try {
            String v = Files.readString(f).strip();
            return v.isEmpty() ? Optional.empty() : Optional.of(v);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
