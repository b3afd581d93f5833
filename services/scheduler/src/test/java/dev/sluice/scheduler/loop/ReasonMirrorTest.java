package dev.sluice.scheduler.loop;

import dev.sluice.contracts.job.PendingReason;
import dev.sluice.scheduler.core.Reason;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every reason the core can give has a Slurm name in the contracts, or publishing it would fail the pass. */
class ReasonMirrorTest {
    @Test
    void everyCoreReasonHasAContractsName() {
        for (Reason r : Reason.values()) {
            PendingReason p = PendingReason.valueOf(r.name());
            assertThat(p.slurmName()).as("%s", r).isNotBlank();
        }
        assertThat(PendingReason.valueOf(Reason.DEPENDENCY_NEVER_SATISFIED.name()).slurmName())
                .isEqualTo("DependencyNeverSatisfied");
    }
}
