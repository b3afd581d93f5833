package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** An array task's launch: Slurm's SLURM_ARRAY_* variables and its default output file slurm-%A_%a.out. */
class ArrayTaskLaunchTest {
    private static LaunchRequested launch(String array, String stdout, Long arrayJobId, Integer taskId, long jobId) {
        JobSpec spec = new JobSpec("arr", "cpu", null, null, "#!/bin/sh\n", "/tmp", stdout, null, Map.of(),
                Resources.of(1, 1, null), 0, null, null, null, null, null, null, null, null, null, array, null);
        return new LaunchRequested("n1", jobId, Instant.EPOCH, new Owner("u", 1001, 1001), spec,
                List.of(new NodeAllocation("n1", 1, List.of(0), 100, List.of())), 0, "c", arrayJobId, taskId);
    }

    @Test
    void arrayVariablesDescribeTheWholeArray() {
        Map<String, String> env = JobEnvironment.build(Map.of(), launch("0-15:4%2", null, 100L, 8, 102), "n1", "c",
                "/tmp");
        assertThat(env).containsEntry("SLURM_JOB_ID", "102").containsEntry("SLURM_ARRAY_JOB_ID", "100")
                .containsEntry("SLURM_ARRAY_TASK_ID", "8").containsEntry("SLURM_ARRAY_TASK_COUNT", "4")
                .containsEntry("SLURM_ARRAY_TASK_MIN", "0").containsEntry("SLURM_ARRAY_TASK_MAX", "12")
                .containsEntry("SLURM_ARRAY_TASK_STEP", "4");

        Map<String, String> list = JobEnvironment.build(Map.of(), launch("1,3,7", null, 50L, 7, 52), "n1", "c", "/tmp");
        assertThat(list).containsEntry("SLURM_ARRAY_TASK_COUNT", "3").containsEntry("SLURM_ARRAY_TASK_MIN", "1")
                .containsEntry("SLURM_ARRAY_TASK_MAX", "7").containsEntry("SLURM_ARRAY_TASK_STEP", "1");
    }

    @Test
    void aJobThatIsNotAnArrayTaskHasNoArrayVariables() {
        Map<String, String> env = JobEnvironment.build(Map.of("SLURM_ARRAY_TASK_ID", "3"),
                launch(null, null, null, null, 9), "n1", "c", "/tmp");
        assertThat(env.keySet()).noneMatch(k -> k.startsWith("SLURM_ARRAY"));
    }

    @Test
    void anArrayTaskWritesToSlurmAUnderscoreAByDefault() {
        LaunchRequested task = launch("0-5%2", null, 100L, 4, 104);
        assertThat(OutputPaths.resolve(Path.of("/w"), OutputPaths.stdoutPattern(task), task, "arr", "u", "n1"))
                .isEqualTo(Path.of("/w/slurm-100_4.out"));
        LaunchRequested named = launch("0-5", "out-%A-%a-%j.txt", 100L, 4, 104);
        assertThat(OutputPaths.resolve(Path.of("/w"), OutputPaths.stdoutPattern(named), named, "arr", "u", "n1"))
                .isEqualTo(Path.of("/w/out-100-4-104.txt"));
        LaunchRequested plain = launch(null, null, null, null, 9);
        assertThat(OutputPaths.resolve(Path.of("/w"), OutputPaths.stdoutPattern(plain), plain, "arr", "u", "n1"))
                .isEqualTo(Path.of("/w/slurm-9.out"));
    }
}
