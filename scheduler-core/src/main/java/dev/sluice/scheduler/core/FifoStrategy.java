package dev.sluice.scheduler.core;

import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Strict first-in-first-out: the first job that does not fit waits for {@code Resources} and every later job that
 * could use any of the same nodes waits behind it for {@code Priority}, so a wide job is never starved by narrow
 * ones. Jobs whose nodes do not overlap a blocked job's (another partition) still start.
 */
public final class FifoStrategy implements SchedulingStrategy {
    @Override
    public void schedule(SchedulingRound round) {
        BitSet blocked = new BitSet();
        for (Job job : round.pending()) {
            Optional<Reason> why = round.ineligible(job);
            if (why.isPresent()) {
                round.hold(job, why.get());
                continue;
            }
            BitSet nodes = round.candidateMask(job);
            if (nodes.intersects(blocked)) {
                round.hold(job, Reason.PRIORITY);
                continue;
            }
            Optional<List<NodeShare>> fit = round.fit(job);
            if (fit.isPresent()) {
                round.start(job, fit.get());
            } else {
                round.hold(job, Reason.RESOURCES);
                blocked.or(nodes);
            }
        }
    }
}
