package dev.sluice.nodeagent.launch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** sbatch/srun --output patterns expand as Slurm's fname.c expands them. */
class OutputPathsTest {
    @Test
    void batchScriptPatterns() {
        assertThat(OutputPaths.expand("%x-%j-%J-%u-%N-%t-100%%.out", 42, "train", "alice", "n1"))
                .isEqualTo("train-42-42-alice-n1-0-100%.out");
        // not an array task: %A is the job id, %a Slurm's NO_VAL
        assertThat(OutputPaths.expand("slurm-%A_%a.out", 42, "j", "u", "n1")).isEqualTo("slurm-42_4294967294.out");
        assertThat(OutputPaths.expand("odd-%q-%", 42, "j", "u", "n1")).isEqualTo("odd-%q-%");
    }

    @Test
    void arrayTaskAndStepPatterns() {
        assertThat(OutputPaths.expand("slurm-%A_%a-%j.out", 107, "j", "u", "n1", 100L, 7L, null, 0))
                .isEqualTo("slurm-100_7-107.out");
        assertThat(OutputPaths.expand("%J.t%t", 42, "j", "u", "n1", null, null, 3L, 5)).isEqualTo("42.3.t5");
    }
}
