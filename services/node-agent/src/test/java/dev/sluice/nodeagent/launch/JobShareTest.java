package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.sluice.nodeagent.launch.JobSupervisorRestartTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/** docs/steps.md: the nodes of a job other than its first prepare its share, run nothing, and clean up at its end. */
class JobShareTest {
    @TempDir
    Path stateDir;
    @TempDir
    Path workDir;
    JobSupervisor supervisor;
    final JobSupervisorRestartTest.Collected sink = new JobSupervisorRestartTest.Collected();

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
    void aLaterNodePreparesTheJobWithoutRunningItAndCleansUpOnJobEnd() throws IOException {
        supervisor = new JobSupervisor(TestSettings.of("share2", stateDir), sink);
        supervisor.start(Duration.ofMillis(100));
        long id = 301;
        LaunchRequested launch = launch(id, "share2", "#!/bin/sh\ntouch ran-" + id + "\n", Map.of());

        assertThat(supervisor.launch(launch)).isEqualTo(JobSupervisor.LaunchOutcome.LAUNCHED);
        JobDir dir = new JobDir(id, stateDir.resolve("jobs/" + id));
        JobCgroup cgroup = supervisor.settings().cgroups().existing("share2", id);
        assertThat(supervisor.runningJobs()).containsExactly(id);
        assertThat(supervisor.jobsToken(id)).get().asString().hasSize(32);
        assertThat(cgroup.dirs()).allSatisfy(d -> assertThat(d).isDirectory());
        assertThat(dir.has(JobDir.SCRIPT)).as("no batch script on a later node").isFalse();

        assertThat(supervisor.signal(id, "JOB_END", Duration.ZERO)).isTrue();
        await("the share ended", () -> dir.has(JobDir.REPORTED) ? Optional.of(true) : Optional.empty());
        assertThat(supervisor.runningJobs()).isEmpty();
        await("cgroups removed", () -> cgroup.dirs().stream().noneMatch(Files::exists)
                ? Optional.of(true) : Optional.empty());
        assertThat(workDir.resolve("ran-" + id)).doesNotExist();
        assertThat(sink.events).as("the first node reports the job, not this one").isEmpty();
    }

    @Test
    void everyNodeDerivesTheSameTokenAndTheBatchScriptSeesItAndItsAgent() throws IOException {
        Path otherState = Files.createTempDirectory(stateDir, "other");
        JobSupervisor other = new JobSupervisor(TestSettings.of("share2", otherState),
                new JobSupervisorRestartTest.Collected());
        supervisor = new JobSupervisor(TestSettings.of("share1", stateDir), sink);
        supervisor.agentAddress("host1:6831");
        supervisor.start(Duration.ofMillis(100));
        long id = 302;
        String script = "#!/bin/sh\necho \"$SLUICE_JOB_TOKEN $SLUICE_NODE_AGENT\"\n";
        supervisor.launch(launch(id, "share1", script, Map.of()));
        other.launch(launch(id, "share2", script, Map.of()));
        assertThat(sink.awaitFinished(id).state()).isEqualTo(JobState.COMPLETED);
        String token = supervisor.jobsToken(id).orElseThrow();
        assertThat(other.jobsToken(id)).contains(token);
        assertThat(Files.readString(workDir.resolve("slurm-" + id + ".out"))).isEqualTo(token + " host1:6831\n");
        other.signal(id, "JOB_END", Duration.ZERO);
        other.close();

        supervisor.launch(launch(303, "share1", "#!/bin/sh\necho $SLUICE_JOB_TOKEN\n",
                Map.of("SLUICE_JOB_TOKEN", "given-by-srun", "PATH", "/usr/bin:/bin")));
        sink.awaitFinished(303);
        assertThat(supervisor.jobsToken(303)).contains("given-by-srun");
        assertThat(Files.readString(workDir.resolve("slurm-303.out"))).isEqualTo("given-by-srun\n");
    }

    private LaunchRequested launch(long id, String node, String script, Map<String, String> env) {
        JobSpec spec = new JobSpec("s", "cpu", null, null, script, workDir.toString(), null, null, env,
                Resources.of(2, 1, null), 0);
        return new LaunchRequested(node, id, Instant.parse("2026-11-22T04:00:00.123456Z"), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation("share1", 1, List.of(0), 100, List.of()),
                        new NodeAllocation("share2", 1, List.of(0), 100, List.of())), 0, "c");
    }
}
