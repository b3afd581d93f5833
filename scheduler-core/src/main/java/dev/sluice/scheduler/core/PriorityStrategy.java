package dev.sluice.scheduler.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Jobs in priority order: partitions by PriorityTier, then multifactor priority, then submit order. Without
 * backfill (sched/builtin) the first job that does not fit blocks every later job that could use its nodes. With
 * EASY backfill (sched/backfill) that job gets a reservation instead: the earliest time it would fit if running
 * jobs end at their time limits, and the resources it would take then. A later job starts now only if it fits now
 * and either ends before that time or uses none of the reserved resources, so it can never delay the reservation.
 * Every pending job is considered every pass.
 */
public final class PriorityStrategy implements SchedulingStrategy {
    /** How far away "no time limit" is for reservations: further than any limited job. */
    static final Duration UNLIMITED = Duration.ofDays(365);

    private final boolean backfill;

    private PriorityStrategy(boolean backfill) {
        this.backfill = backfill;
    }

    /** sched/builtin with priority/multifactor. */
    public static PriorityStrategy builtin() {
        return new PriorityStrategy(false);
    }

    /** sched/backfill (Slurm's default) with priority/multifactor. */
    public static PriorityStrategy backfill() {
        return new PriorityStrategy(true);
    }

    /** What slurm.conf's {@code SchedulerType} asks for; sched/backfill when unset, as in Slurm. */
    public static SchedulingStrategy fromConfig(dev.sluice.scheduler.core.config.ClusterConfig config) {
        String type = config.settings().getOrDefault("schedulertype", "sched/backfill");
        return type.equalsIgnoreCase("sched/builtin") ? builtin() : backfill();
    }

    /**
     * @param after what stays free at the shadow time once the reserved job took its share
     * @param both  what is free now and also at the shadow time: where a job that runs past it may go
     */
    private record Reservation(Instant shadow, BitSet nodes, ResourcePool after, ResourcePool both) {
    }

    @Override
    public void schedule(SchedulingRound round) {
        List<Job> fifo = round.pending();
        int n = fifo.size();
        Rank[] order = new Rank[n];
        boolean sorted = true;
        for (int i = 0; i < n; i++) {
            Job j = fifo.get(i);
            order[i] = new Rank(round.priorityTier(j), round.priority(j), i);
            sorted &= i == 0 || order[i - 1].compareTo(order[i]) < 0;
        }
        if (!sorted) {
            java.util.Arrays.sort(order);
        }
        Pass pass = new Pass(round, backfill);
        for (Rank rank : order) {
            pass.visit(fifo.get(rank.index()));
        }
    }

    /**
     * One pass's state. Each job is visited by its own method (not a loop body inlined into one large method), so
     * the JIT compiles small units early instead of on-stack-replacing the whole pass several times over.
     */
    private static final class Pass {
        final SchedulingRound round;
        final boolean backfill;
        final Instant now;
        final BitSet blocked = new BitSet();
        final List<Reservation> reservations = new ArrayList<>();
        List<Job> running;
        // Per node set: its running jobs in order of end, and the pool with all of them gone. A job that does not
        // fit even then gets no reservation, and jobs of its shape are answered from memory.
        final java.util.Map<BitSet, Horizon> horizon = new java.util.IdentityHashMap<>();
        /**
         * When the round wants no plans, blocked jobs whose reservation exists but is not yet worked out, in the
         * order they were visited. See {@link #defer}.
         */
        final List<Job> deferred = new ArrayList<>();
        final List<BitSet> deferredMasks = new ArrayList<>();
        /** Deferring is allowed until the first reservation is worked out; from then on the pass is eager. */
        boolean lazy;

        Pass(SchedulingRound round, boolean backfill) {
            this.round = round;
            this.backfill = backfill;
            this.now = round.now();
            this.lazy = backfill && !round.plans();
        }

        void visit(Job job) {
            Optional<Reason> why = round.ineligible(job);
            if (why.isPresent()) {
                round.hold(job, why.get());
                return;
            }
            BitSet mask = round.candidateMask(job);
            if (!backfill) {
                builtin(job, mask);
                return;
            }
            // Which reservations the job would run past does not depend on where it fits; when there are any,
            // its place now is never used (it is placed again on what the reservations leave), so only whether
            // it fits now is asked. Most jobs do not fit now: that is asked first, from memory for their shape.
            if (reservations.isEmpty() && deferred.isEmpty()) {
                Optional<List<NodeShare>> fit = round.fit(job);
                if (fit.isPresent()) {
                    // the running jobs were taken before this start: a later reservation sees them without it
                    lazy &= running == null;
                    round.start(job, fit.get());
                } else {
                    block(job, mask);
                }
                return;
            }
            if (round.fits(job)) {
                reserveDeferred();
                backfill(job, mask);
                return;
            }
            block(job, mask);
        }

        /**
         * A reservation is needed only to tell whether a job that fits now may start, and for the plan. When no plan
         * is wanted, a blocked job's reservation is worked out only once such a job comes; until then it is enough
         * to know whether it exists (later jobs on its nodes wait behind it for Priority). Why the decisions are
         * the same as working it out at once:
         * <ol>
         * <li>Nothing starts between a deferred job's visit and the moment its reservation is worked out: a job
         * starts only when no reservation (deferred or not) exists, or after they were all worked out. So the pool
         * is the one the eager pass would have used. The list of running jobs is taken where the eager pass takes
         * it, at the first blocked job that is not behind a reservation, and deferring stops once a job starts
         * after that (the list no longer holds every job then).</li>
         * <li>Reservations are worked out in visit order with the same horizons, so each is the one the eager pass
         * would have made.</li>
         * <li>Whether one exists: with the running list just taken, the pool holds exactly those jobs, so giving
         * back every running job on the job's nodes, which is where the eager search ends, leaves those nodes as
         * if idle. The search succeeds exactly when the job fits there (a placement that works with fewer jobs
         * given back works with all of them given back), which {@link SchedulingRound#couldFitIdle} answers with
         * the same CPU and GPU counts first.</li>
         * </ol>
         * {@code LazyReservationEquivalenceTest} compares every decision with the eager pass on random workloads.
         */
        private boolean defer(Job job, BitSet mask) {
            if (!lazy) {
                return false;
            }
            if (round.couldFitIdle(job)) {
                deferred.add(job);
                deferredMasks.add(mask);
            }
            return true;
        }

        /** Works out the deferred reservations, in the order their jobs were visited; the pass is eager from now. */
        private void reserveDeferred() {
            lazy = false;
            for (int k = 0; k < deferred.size(); k++) {
                reserveFor(deferred.get(k), deferredMasks.get(k));
            }
            deferred.clear();
            deferredMasks.clear();
        }

        private void builtin(Job job, BitSet mask) {
            if (mask.intersects(blocked)) {
                round.hold(job, Reason.PRIORITY);
                return;
            }
            Optional<List<NodeShare>> fit = round.fit(job);
            if (fit.isPresent()) {
                round.start(job, fit.get());
            } else {
                round.hold(job, Reason.RESOURCES);
                blocked.or(mask);
            }
        }

        /** The job fits now and there are reservations: it starts only if it delays none of them. */
        private void backfill(Job job, BitSet mask) {
            Integer limit = round.timeLimit(job);
            Instant end = limit == null || limit == 0 ? null : now.plus(Duration.ofMinutes(limit));
            List<Reservation> crossing = null;
            for (Reservation r : reservations) {
                if (r.nodes().intersects(mask) && (end == null || end.isAfter(r.shadow()))) {
                    if (crossing == null) {
                        crossing = new ArrayList<>(2);
                    }
                    crossing.add(r);
                }
            }
            List<NodeShare> shares;
            if (crossing == null) {
                shares = round.fit(job).orElse(null);
                if (shares == null) {
                    block(job, mask);
                    return;
                }
            } else {
                shares = round.fit(job, crossing.getFirst().both()).orElse(null);
                for (Reservation r : crossing) {
                    if (shares != null && !r.after().canTake(shares)) {
                        shares = null;
                    }
                }
            }
            if (shares == null) {
                round.hold(job, Reason.PRIORITY);
                return;
            }
            for (Reservation r : reservations) {
                r.both().take(shares);
            }
            if (crossing != null) {
                for (Reservation r : crossing) {
                    r.after().take(shares);
                }
            }
            round.start(job, shares);
        }

        /** The job does not fit now: behind a reservation it waits for Priority, else it gets one of its own. */
        private void block(Job job, BitSet mask) {
            for (Reservation r : reservations) {
                if (r.nodes().intersects(mask)) {
                    round.hold(job, Reason.PRIORITY);
                    return;
                }
            }
            for (BitSet m : deferredMasks) {
                if (m.intersects(mask)) {
                    round.hold(job, Reason.PRIORITY);
                    return;
                }
            }
            round.hold(job, Reason.RESOURCES);
            if (running == null) {
                running = byEnd(round, now);
            }
            if (!defer(job, mask)) {
                reserveFor(job, mask);
            }
        }

        private void reserveFor(Job job, BitSet mask) {
            if (running == null) {
                running = byEnd(round, now);
            }
            Optional<Reservation> r = reserve(round, job, mask, running, now, horizon);
            if (r.isPresent()) {
                reservations.add(r.get());
                if (r.get().shadow().isBefore(now.plus(UNLIMITED))) { // behind jobs without a limit: unknown
                    round.plan(job, r.get().shadow());
                }
            }
        }
    }

    /** Running jobs in order of expected end, ties in {@code running()} order (a stable sort, ends worked out once). */
    private static List<Job> byEnd(SchedulingRound round, Instant now) {
        List<Job> all = round.running();
        int m = all.size();
        Instant[] ends = new Instant[m];
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            ends[i] = end(round, all.get(i), now);
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> ends[a].compareTo(ends[b]));
        List<Job> out = new ArrayList<>(m);
        for (Integer i : order) {
            out.add(all.get(i));
        }
        return out;
    }

    private static Instant end(SchedulingRound round, Job j, Instant now) {
        Instant e = round.expectedEnd(j);
        return e == null ? now.plus(UNLIMITED) : e;
    }

    /**
     * The fewest running jobs (in order of expected end) whose resources make the job fit.
     */
    /** Higher tier, then higher priority, then earlier in submit order. */
    private record Rank(int tier, double priority, int index) implements Comparable<Rank> {
        @Override
        public int compareTo(Rank o) {
            if (tier != o.tier) {
                return Integer.compare(o.tier, tier);
            }
            int c = Double.compare(o.priority, priority);
            return c != 0 ? c : Integer.compare(index, o.index);
        }
    }

    /** {@code all} (every relevant running job gone) is built only once a second job needs this horizon. */
    private static final class Horizon {
        final List<Job> relevant;
        ResourcePool all;
        int uses;

        Horizon(List<Job> relevant) {
            this.relevant = relevant;
        }
    }

    private static Optional<Reservation> reserve(SchedulingRound round, Job job, BitSet mask, List<Job> running,
                                                 Instant now, java.util.Map<BitSet, Horizon> horizons) {
        Horizon h = horizons.computeIfAbsent(mask, m -> {
            List<Job> rel = new ArrayList<>();
            for (Job r : running) {
                if (touches(round, r, m)) {
                    rel.add(r);
                }
            }
            return new Horizon(rel);
        });
        List<Job> relevant = h.relevant;
        // The first blocked job of a node set walks the running jobs anyway; from the second on, the pool with all
        // of them gone answers "never fits" at once (and from memory for jobs of the same shape).
        if (++h.uses > 1) {
            if (h.all == null) {
                h.all = released(round.pool(), relevant, relevant.size());
            }
            if (!round.fits(job, h.all)) {
                return Optional.empty();
            }
        }
        // Give running jobs back one at a time in order of end; only try a placement once enough CPUs and GPUs
        // are free in the job's nodes to make one possible.
        JobRequest r = job.request();
        long needCpus = (long) r.effectiveTasks() * r.effectiveCpusPerTask();
        long needGpus = (long) r.effectiveGpusPerNode() * r.effectiveNodesMin();
        ResourcePool best = round.pool().copy();
        long freeCpus = 0;
        long freeGpus = 0;
        for (int i = mask.nextSetBit(0); i >= 0; i = mask.nextSetBit(i + 1)) {
            freeCpus += best.freeCount[i];
            freeGpus += best.freeGpus[i].cardinality();
        }
        List<NodeShare> shares = null;
        int lo = 0;
        // Jobs counted but not yet given back to best: they are given back, in the same order, only when a
        // placement is tried, so best is then exactly what giving each back at once would have made.
        int given = 0;
        while (true) {
            if (freeCpus >= needCpus && freeGpus >= needGpus) {
                for (; given < lo; given++) {
                    best.release(relevant.get(given).allocation());
                }
                Optional<List<NodeShare>> f = round.fitResources(job, best);
                if (f.isPresent()) {
                    shares = f.get();
                    break;
                }
            }
            if (lo == relevant.size()) {
                break;
            }
            List<NodeShare> a = relevant.get(lo).allocation();
            int[] at = best.indices(a);
            for (int k = 0; k < at.length; k++) {
                if (at[k] >= 0 && mask.get(at[k])) {
                    NodeShare s = a.get(k);
                    freeCpus += s.cpuIds().size();
                    freeGpus += s.gpuIds().size();
                }
            }
            lo++;
        }
        if (shares == null) {
            return Optional.empty();
        }
        Instant shadow = lo == 0 ? now : end(round, relevant.get(lo - 1), now);
        best.take(shares);
        ResourcePool both = round.pool().copy();
        both.retainFree(best);
        return Optional.of(new Reservation(shadow, mask, best, both));
    }

    private static boolean touches(SchedulingRound round, Job r, BitSet mask) {
        for (int i : round.pool().indices(r.allocation())) {
            if (i >= 0 && mask.get(i)) {
                return true;
            }
        }
        return false;
    }

    private static ResourcePool released(ResourcePool now, List<Job> running, int count) {
        ResourcePool p = now.copy();
        for (int i = 0; i < count; i++) {
            p.release(running.get(i).allocation());
        }
        return p;
    }
}
