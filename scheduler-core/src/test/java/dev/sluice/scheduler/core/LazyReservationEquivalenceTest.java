package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A scheduler that is not asked for expected starts lets EASY backfill work out a blocked job's reservation only
 * when a later job could start past it (see {@code PriorityStrategy.Pass#defer}). The same random workloads as
 * {@link SettlingEquivalenceTest} (holds, dependencies, begin times, limits, drains, a node lost, two partitions,
 * -p a,b, -w) must give every decision exactly as the eager pass, which works each reservation out at once.
 */
class LazyReservationEquivalenceTest {
    @Test
    void backfillWithoutPlansDecidesExactlyAsWithPlans() {
        long deferred = 0;
        for (int seed = 0; seed < Integer.getInteger("sluice.seeds", 150); seed++) {
            deferred += SettlingEquivalenceTest.compare(seed, PriorityStrategy.backfill(),
                    PriorityStrategy.backfill(), fast -> fast.planStarts(false)).deferredReservations;
        }
        // the deferring path did run, often
        assertThat(deferred).isGreaterThan(500);
    }
}
