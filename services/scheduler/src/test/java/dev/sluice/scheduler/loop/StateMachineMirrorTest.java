package dev.sluice.scheduler.loop;

import dev.sluice.contracts.job.JobStateMachine;
import dev.sluice.scheduler.core.JobState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The core mirrors the contracts' job state machine; any move it allows must be legal there too. */
class StateMachineMirrorTest {
    @Test
    void everyMoveTheCoreAllowsIsLegalInTheContracts() {
        int moves = 0;
        for (JobState from : JobState.values()) {
            for (JobState to : JobState.values()) {
                if (from.canMoveTo(to)) {
                    moves++;
                    assertThat(JobStateMachine.canTransition(Outputs.contractState(from), Outputs.contractState(to)))
                            .as("%s -> %s", from, to).isTrue();
                }
            }
            assertThat(from.isFinal()).as("%s final", from)
                    .isEqualTo(JobStateMachine.isTerminal(Outputs.contractState(from)));
        }
        assertThat(moves).isGreaterThan(5);
    }
}
