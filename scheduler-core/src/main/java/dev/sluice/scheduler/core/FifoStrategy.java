package dev.sluice.scheduler.core;

import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Strict first-in-first-out: the first job that does not fit waits for {@code Resources} and every later job that
 * could use any of the same nodes waits behind it for {@code Priority}, so a wide job is never starved by narrow
 * ones. Jobs whose nodes do not overlap a blocked job's (another partition) still start.
 *
 * <p>Every pending job is considered every pass, in outcome: on the core's own round a pass stops visiting jobs
 * one by one once every up node is blocked, and from then on visits only the jobs that are not <em>settled</em>.
 * Why a settled job that is not visited gets exactly the answer it would have got:
 * <ol>
 * <li>A job is settled ({@link SettlingRound#settle}) right after this loop held it for {@code Priority} behind
 * blocked nodes, so at that moment {@code ineligible} found nothing and its candidate nodes were not empty. It is
 * settled only if its answer reads nothing but its own record, the configuration and the nodes: no hold, begin
 * time, requeue delay, dependency, array, {@code -p a,b}, {@code -w}, {@code -x} or {@code -C}, no association or
 * QoS limits in force and no GrpTRES on its partition. Then {@code ineligible} is a function of its record, the
 * partitions (State, MaxTime, MaxNodes) and nothing else: not the clock, not other jobs.</li>
 * <li>The settlement holds for that very record (any change to the job makes a new record) and for one epoch: the
 * scheduler moves the epoch on every input that may change what step 1 reads or who is held (reconfigure, policy,
 * node changes, hold, release, update, requeue, cancel); submits and ends do not move it, and a settled job reads
 * neither.</li>
 * <li>Once every up node is in {@code blocked}, any job with candidate nodes intersects it. A settled job, visited,
 * would therefore get {@code ineligible} empty (1, 2), the same non-empty nodes (the node masks are rebuilt only
 * when the nodes change, which moves the epoch), hence {@code Priority}; its record already says
 * {@code Priority} (version above 0), so {@code hold} announces and saves nothing. The visit changes neither
 * {@code blocked} nor any resource: skipping it changes nothing.</li>
 * <li>Every other pending job after that point is visited, in submit order, by the same code as before. The
 * scheduler keeps a list that holds every slot not settled in the current epoch (new jobs and changed records
 * join it); when the epoch moved since that list was complete, the rest of the queue is visited in full and the
 * list rebuilt.</li>
 * </ol>
 * {@code SettlingEquivalenceTest} runs random workloads (holds, releases, dependencies, begin times, limits, early
 * ends, drains, partitions) through this and through the plain visit-everything loop and compares every decision.
 */
public final class FifoStrategy implements SchedulingStrategy {
    @Override
    public void schedule(SchedulingRound round) {
        BitSet blocked = new BitSet();
        if (round instanceof SettlingRound s && s.settles()) {
            Iterator<Job> it = s.inOrder();
            while (it.hasNext()) {
                Job job = it.next();
                if (visit(round, s, job, blocked) && s.covers(blocked)) {
                    for (Job later : s.unsettledAfter(job, it)) {
                        visit(round, s, later, blocked);
                    }
                    return;
                }
            }
            s.visitedAll();
            return;
        }
        for (Job job : round.pending()) {
            visit(round, null, job, blocked);
        }
    }

    /** @return true when the job blocked its nodes */
    private static boolean visit(SchedulingRound round, SettlingRound settling, Job job, BitSet blocked) {
        Optional<Reason> why = round.ineligible(job);
        if (why.isPresent()) {
            round.hold(job, why.get());
            return false;
        }
        BitSet nodes = round.candidateMask(job);
        if (nodes.intersects(blocked)) {
            round.hold(job, Reason.PRIORITY);
            if (settling != null) {
                settling.settle(job);
            }
            return false;
        }
        Optional<List<NodeShare>> fit = round.fit(job);
        if (fit.isPresent()) {
            round.start(job, fit.get());
            return false;
        }
        round.hold(job, Reason.RESOURCES);
        blocked.or(nodes);
        return true;
    }
}
