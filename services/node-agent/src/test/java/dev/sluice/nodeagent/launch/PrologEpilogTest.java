package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.nodeagent.cgroup.CgroupDriver;
import dev.sluice.nodeagent.discovery.Gpus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.sluice.nodeagent.launch.JobSupervisorRestartTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/** Prolog and epilog run as root with the job's environment; a failing one drains the node. */
class PrologEpilogTest {
    static final String NODE = "pnode";
    @TempDir
    Path stateDir;
    @TempDir
    Path workDir;
    @TempDir
    Path bin;
    JobSupervisor supervisor;

    @BeforeEach
    void open() throws IOException {
        TestSettings.openToAll(workDir);
    }

    @AfterEach
    void stop() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    @Test
    void prologAndEpilogRunAsRootAroundTheJobWithItsEnvironment() throws IOException {
        // the prolog (root) makes the trace file writable for the job (nobody)
        Path prolog = program("prolog", "#!/bin/sh\necho \"prolog $(id -u) $SLURM_JOB_ID $SLURM_JOB_USER\" >> "
                + workDir + "/trace\nchmod 666 " + workDir + "/trace\n");
        Path epilog = program("epilog", "#!/bin/sh\necho \"epilog $(id -u) $SLURM_JOB_ID\" >> " + workDir + "/trace\n");
        JobSupervisor_Collected sink = new JobSupervisor_Collected();
        start(prolog, epilog, sink);
        supervisor.launch(launch(201, "#!/bin/sh\necho \"job $(id -u)\" >> trace\n"));
        StepFinished end = sink.await(201);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        assertThat(Files.readAllLines(workDir.resolve("trace")))
                .containsExactly("prolog 0 201 nobody", "job 65534", "epilog 0 201");
        assertThat(supervisor.drainReason()).isEmpty();
    }

    @Test
    void jobDirectoriesGoWhereJobsDirSaysAndAnAgentRestartFindsThemThere(@TempDir Path jobsDir) throws IOException {
        // the job's user must be able to pass through the jobs dir's parents to its script, as through the state dir's
        Files.setPosixFilePermissions(jobsDir, PosixFilePermissions.fromString("rwx--x--x"));
        JobSupervisor_Collected sink = new JobSupervisor_Collected();
        JobSupervisor.Settings base = TestSettings.of(NODE, stateDir, CgroupDriver.of("auto", Path.of("/sys/fs/cgroup")),
                Gpus.NONE, List.of());
        JobSupervisor.Settings elsewhere = new JobSupervisor.Settings(base.node(), base.clusterName(), base.stateDir(),
                base.killWait(), base.baseEnv(), base.launcher(), base.cgroups(), base.nodeCpus(), base.pidsMax(),
                base.gpus(), base.rlimits(), null, null, jobsDir.resolve("jobs"));
        supervisor = new JobSupervisor(elsewhere, sink);
        supervisor.start(Duration.ofMillis(50));
        supervisor.launch(launch(205, "#!/bin/sh\nsleep 30\n"));
        assertThat(jobsDir.resolve("jobs").resolve("205")).isDirectory();
        assertThat(stateDir.resolve("jobs").resolve("205")).doesNotExist();

        // the agent restarts: the job still runs and is adopted from the same jobs dir
        supervisor.close();
        JobSupervisor_Collected sink2 = new JobSupervisor_Collected();
        supervisor = new JobSupervisor(elsewhere, sink2);
        assertThat(supervisor.recover()).containsExactly(205L);
        supervisor.start(Duration.ofMillis(50));
        assertThat(supervisor.signal(205L, "CANCELLED", Duration.ofSeconds(5))).isTrue();
        StepFinished end = sink2.await(205);
        assertThat(end.state()).as(end.toString()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void failingPrologRequeuesTheJobWithoutRunningItAndDrainsTheNode() throws IOException {
        Path prolog = program("prolog", "#!/bin/sh\nexit 3\n");
        JobSupervisor_Collected sink = new JobSupervisor_Collected();
        start(prolog, null, sink);
        supervisor.launch(launch(202, "#!/bin/sh\ntouch ran\n"));
        StepFinished end = sink.await(202);
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.detail()).isEqualTo("launch failed: prolog " + prolog + " exited with status 3 for job 202; node "
                + NODE + " drained; job requeued");
        // Slurm requeues a job whose prolog failed: the scheduler puts it back to PENDING to run elsewhere
        assertThat(end.requeue()).isTrue();
        assertThat(workDir.resolve("ran")).doesNotExist();
        assertThat(supervisor.drainReason()).contains("prolog " + prolog + " exited with status 3 for job 202");

        supervisor.launch(launch(203, "#!/bin/sh\ntouch ran\n"));
        assertThat(sink.await(203).detail()).startsWith("launch failed: node " + NODE + " is drained: prolog ")
                .endsWith("; job requeued");
        assertThat(sink.await(203).requeue()).isTrue();
        assertThat(workDir.resolve("ran")).doesNotExist();

        // --no-requeue: the job fails instead, as the user asked
        LaunchRequested noRequeue = launch(208, "#!/bin/sh\ntouch ran\n");
        JobSpec spec = noRequeue.spec();
        supervisor.launch(new LaunchRequested(NODE, 208, noRequeue.time(), noRequeue.owner(), new JobSpec(spec.name(),
                spec.partition(), null, null, spec.script(), spec.workDir(), spec.stdout(), null, Map.of(),
                spec.resources(), 0, null, null, null, Boolean.FALSE, null, null, null, null, null, null, null),
                noRequeue.allocation(), 0, "c"));
        assertThat(sink.await(208).requeue()).isNull();
        assertThat(sink.await(208).state()).isEqualTo(JobState.FAILED);
    }

    @Test
    void failingEpilogIsToldInTheJobsEndAndDrainsTheNode() throws IOException {
        Path epilog = program("epilog", "#!/bin/sh\nexit 1\n");
        JobSupervisor_Collected sink = new JobSupervisor_Collected();
        start(null, epilog, sink);
        supervisor.launch(launch(204, "#!/bin/sh\ntrue\n"));
        StepFinished end = sink.await(204);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        assertThat(end.detail()).isEqualTo("epilog " + epilog + " exited with status 1 for job 204; node " + NODE
                + " drained");
        assertThat(supervisor.drainReason()).isPresent();
    }

    @Test
    void aDrainIsToldToTheAgentAndSurvivesARestartUntilTheSchedulerResumesIt() throws IOException {
        Path prolog = program("prolog", "#!/bin/sh\nexit 3\n");
        JobSupervisor_Collected sink = new JobSupervisor_Collected();
        start(prolog, null, sink);
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        supervisor.drainListener(told::add);
        supervisor.launch(launch(205, "#!/bin/sh\ntrue\n"));
        sink.await(205);
        assertThat(told).containsExactly("prolog " + prolog + " exited with status 3 for job 205");

        supervisor.close();
        start(null, null, sink);
        assertThat(supervisor.drainReason()).contains("prolog " + prolog + " exited with status 3 for job 205");
        supervisor.resumeIfCleared();
        assertThat(supervisor.drainReason()).isPresent();

        // a resume older than the drain (replayed after a crash) does not lift it; the admin's resume does
        assertThat(supervisor.resume(Instant.now().minusSeconds(3600))).isFalse();
        assertThat(supervisor.drainReason()).isPresent();
        assertThat(supervisor.resume(Instant.now())).isTrue();
        assertThat(supervisor.drainReason()).isEmpty();
        assertThat(stateDir.resolve(JobSupervisor.DRAIN_FILE)).doesNotExist();
        supervisor.launch(launch(206, "#!/bin/sh\ntouch ran\n"));
        assertThat(sink.await(206).state()).isEqualTo(JobState.COMPLETED);
        assertThat(workDir.resolve("ran")).exists();

        // job 205 was requeued; placed here again (a new launch), it runs as a new run with distinct event ids
        assertThat(supervisor.runSuffix(205)).isEmpty();
        supervisor.launch(launch(205, "#!/bin/sh\ntouch ran205\n"));
        await("job 205's second run", () -> sink.finished(205).size() >= 2 ? Optional.of(true) : Optional.empty());
        assertThat(sink.finished(205).get(1).state()).isEqualTo(JobState.COMPLETED);
        assertThat(workDir.resolve("ran205")).exists();
        assertThat(supervisor.runSuffix(205)).isEqualTo("/run1");
        assertThat(stateDir.resolve("jobs/205.run1/reported")).exists();
    }

    @Test
    void failingHealthCheckDrainsTheNodeWithItsOutputAsTheReason() throws IOException {
        JobSupervisor_Collected sink = new JobSupervisor_Collected();
        start(null, null, sink);
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        supervisor.drainListener(told::add);
        Path ok = program("healthy", "#!/bin/sh\n[ \"$(id -u)\" = 0 ] || exit 9\necho fine\n");
        assertThat(supervisor.healthCheck(ok)).isEmpty();
        assertThat(supervisor.drainReason()).isEmpty();

        Path flag = workDir.resolve("disk-full");
        Path check = program("check", "#!/bin/sh\nif [ -e " + flag + " ]; then echo \"/scratch is full\"; exit 1; fi\n");
        assertThat(supervisor.healthCheck(check)).isEmpty();
        Files.createFile(flag);
        assertThat(supervisor.healthCheck(check)).contains("/scratch is full");
        assertThat(supervisor.drainReason()).contains("/scratch is full");
        // the same failure again is not a new drain
        supervisor.healthCheck(check);
        assertThat(told).containsExactly("/scratch is full");

        supervisor.launch(launch(207, "#!/bin/sh\ntouch ran\n"));
        assertThat(sink.await(207).detail()).isEqualTo("launch failed: node " + NODE + " is drained: /scratch is full"
                + "; job requeued");
        assertThat(workDir.resolve("ran")).doesNotExist();
    }

    private void start(Path prolog, Path epilog, JobSupervisor_Collected sink) throws IOException {
        JobSupervisor.Settings base = TestSettings.of(NODE, stateDir, CgroupDriver.of("auto", Path.of("/sys/fs/cgroup")),
                Gpus.NONE, List.of());
        supervisor = new JobSupervisor(new JobSupervisor.Settings(base.node(), base.clusterName(), base.stateDir(),
                base.killWait(), base.baseEnv(), base.launcher(), base.cgroups(), base.nodeCpus(), base.pidsMax(),
                base.gpus(), base.rlimits(), prolog, epilog), sink);
        supervisor.start(Duration.ofMillis(50));
    }

    private Path program(String name, String text) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    private LaunchRequested launch(long id, String script) {
        JobSpec spec = new JobSpec("p", "cpu", null, null, script, workDir.toString(), "/dev/null", null, Map.of(),
                Resources.of(1, 1, null), 0);
        return new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation(NODE, 1, List.of(0), 0, List.of())), 0, "c");
    }

    static final class JobSupervisor_Collected extends JobSupervisorRestartTest.Collected {
        StepFinished await(long id) {
            return awaitFinished(id);
        }
    }
}
