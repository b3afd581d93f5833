package dev.sluice.scheduler.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Finds where a job's tasks go on free resources (cons_tres): the fewest nodes that can hold them (at least
 * {@code -N min}, at most {@code -N max}), preferring nodes earlier in order, tasks dealt one at a time across the
 * chosen nodes as Slurm's block allocation does. On each node the GPUs are chosen first, from the socket with the
 * most free GPUs of the asked type, and then the CPUs of those sockets before any other, lowest ids first. An
 * exclusive job takes idle nodes whole.
 */
final class Placer {
    private Placer() {
    }

    /** @param defMemPerCpuMb memory reserved per CPU when the job asks for none; null reserves nothing */
    static Optional<List<NodeShare>> place(JobRequest r, ResourcePool pool, int[] candidates, Long defMemPerCpuMb) {
        return place(r, pool, candidates, null, defMemPerCpuMb);
    }

    /**
     * @param required pool indices that must all be used ({@code -w}), first in {@code candidates}; null: none
     */
    static Optional<List<NodeShare>> place(JobRequest r, ResourcePool pool, int[] candidates, int[] required,
                                           Long defMemPerCpuMb) {
        return Optional.ofNullable(place(r, pool, candidates, required, defMemPerCpuMb, LAYOUT));
    }

    /**
     * Like {@link #place}, but the shares say which CPUs, GPUs and memory only, not which task ranks run where: for
     * looking ahead (a reservation), where the shares are taken from a copy of the pool and never launched.
     */
    static Optional<List<NodeShare>> placeResources(JobRequest r, ResourcePool pool, int[] candidates, int[] required,
                                                    Long defMemPerCpuMb) {
        return Optional.ofNullable(place(r, pool, candidates, required, defMemPerCpuMb, RESOURCES));
    }

    /** What a search builds once it found nodes: nothing, the resources, or the resources and the task layout. */
    private static final int FIT_ONLY = 0;
    private static final int RESOURCES = 1;
    private static final int LAYOUT = 2;

    /**
     * Whether {@link #place} would find a placement, without building it: the same search, stopped where
     * {@code place} starts laying out CPUs and GPUs (that layout never fails once nodes are picked).
     */
    static boolean fits(JobRequest r, ResourcePool pool, int[] candidates, int[] required, Long defMemPerCpuMb) {
        return place(r, pool, candidates, required, defMemPerCpuMb, FIT_ONLY) != null;
    }

    private static final List<NodeShare> FITS = List.of();

    /** @return the shares, {@link #FITS} when found and {@code build} is FIT_ONLY, null when it does not fit */
    private static List<NodeShare> place(JobRequest r, ResourcePool pool, int[] candidates, int[] required,
                                         Long defMemPerCpuMb, int build) {
        int tasks = r.effectiveTasks();
        int cpusPerTask = r.effectiveCpusPerTask();
        if (pool.freeCpuTotal < (long) tasks * cpusPerTask) {
            return null;
        }
        long memPerTask = memPerTask(r, defMemPerCpuMb);
        if (build == FIT_ONLY && required == null && countsOnly(r, memPerTask) && candidates.length == pool.size()
                && pool.singleThreaded()) {
            // every node holds as many tasks as it has free CPUs, any number of nodes will do: it fits exactly
            // when the free CPUs add up (the search below would pick the fewest nodes that hold them)
            return FITS;
        }
        int req = required == null ? 0 : required.length;
        int[] order = candidates;
        if (req > 0) {
            // required nodes first, so the earliest-first pick takes them
            order = new int[candidates.length];
            int o = 0;
            for (int i : required) {
                order[o++] = i;
            }
            java.util.Set<Integer> reqSet = new java.util.HashSet<>();
            for (int i : required) {
                reqSet.add(i);
            }
            for (int i : candidates) {
                if (!reqSet.contains(i)) {
                    order[o++] = i;
                }
            }
            order = Arrays.copyOf(order, o);
        }
        int minNodes0 = Math.max(r.effectiveNodesMin(), req);
        int maxNodes0 = r.effectiveNodesMax();
        boolean total = r.gpusTotal() != null && r.gpusTotal() > 0;
        // --gpus=N over k nodes needs ceil(N/k) on each: capacities depend on k, so they are worked out per k
        int kFrom = total ? minNodes0 : 0;
        int kTo = total ? Math.min(maxNodes0, Math.min(tasks, order.length)) : 0;
        for (int fixedK = kFrom; fixedK <= kTo; fixedK++) {
            int gpus = total ? (r.gpusTotal() + fixedK - 1) / fixedK : r.effectiveGpusPerNode();
            int[] usable = new int[order.length];
            int[] caps = new int[order.length];
            int n = 0;
            int maxCap = 0;
            for (int idx = 0; idx < order.length; idx++) {
                int i = order[idx];
                int cpt = cpusPerTask(pool, i, cpusPerTask);
                int cap = pool.freeCount[i] < cpt ? 0 : capacity(r, pool, i, cpt, memPerTask, gpus);
                if (cap > 0) {
                    usable[n] = i;
                    caps[n++] = cap;
                    maxCap = Math.max(maxCap, cap);
                } else if (idx < req) {
                    return null;
                }
            }
            int maxNodes = Math.min(Math.min(maxNodes0, n), tasks);
            int minNodes = Math.max(minNodes0, fewest(caps, n, tasks));
            if (total) {
                if (fixedK < minNodes || fixedK > maxNodes) {
                    continue;
                }
                minNodes = fixedK;
                maxNodes = fixedK;
            }
            for (int k = minNodes; k <= maxNodes; k++) {
                int[] picked = pick(caps, n, maxCap, k, tasks, req);
                if (picked != null) {
                    return build == FIT_ONLY ? FITS
                            : shares(r, pool, usable, caps, picked, tasks, cpusPerTask, memPerTask, gpus, build == LAYOUT);
                }
            }
        }
        return null;
    }

    /**
     * A request whose only need is CPUs, one per task: no node count, tasks per node, memory, GPUs, exclusivity.
     * On one-thread-per-core nodes a node's capacity for it is its free CPU count.
     */
    private static boolean countsOnly(JobRequest r, long memPerTask) {
        return r.nodesMin() == null && r.nodesMax() == null && r.ntasksPerNode() == null
                && r.effectiveCpusPerTask() == 1 && memPerTask == 0 && r.memPerNodeMb() == null
                && r.effectiveGpusPerNode() == 0 && r.gpusTotal() == null && perTaskGpus(r) == 0
                && memPerGpu(r) == 0 && !r.wholeNodes();
    }

    private static int perTaskGpus(JobRequest r) {
        return r.gpusPerTask() == null || r.gpusPerTask() < 0 ? 0 : r.gpusPerTask();
    }

    /** --mem-per-gpu, when neither --mem nor --mem-per-cpu says otherwise. */
    private static long memPerGpu(JobRequest r) {
        return r.memPerGpuMb() != null && r.memPerNodeMb() == null && r.memPerCpuMb() == null ? r.memPerGpuMb() : 0;
    }

    private static long memPerTask(JobRequest r, Long defMemPerCpuMb) {
        if (r.memPerCpuMb() != null) {
            return r.memPerCpuMb() * r.effectiveCpusPerTask();
        }
        if (r.memPerGpuMb() != null && r.memPerNodeMb() == null) {
            return 0;
        }
        if (r.memPerNodeMb() == null && defMemPerCpuMb != null) {
            return defMemPerCpuMb * r.effectiveCpusPerTask();
        }
        return 0;
    }

    private static int capacity(JobRequest r, ResourcePool pool, int i, int cpusPerTask, long memPerTask, int gpus) {
        if (r.memPerNodeMb() != null && pool.freeMem[i] < r.memPerNodeMb() || r.wholeNodes() && !pool.idle(i)) {
            return 0;
        }
        int freeGpus = gpus > 0 || perTaskGpus(r) > 0 ? pool.freeGpus(i, r.gpuType()) : 0;
        if (gpus > 0 && freeGpus < gpus) {
            return 0;
        }
        long cap = pool.freeCount[i] / cpusPerTask;
        if (memPerTask > 0) {
            cap = Math.min(cap, pool.freeMem[i] / memPerTask);
        }
        if (perTaskGpus(r) > 0) {
            cap = Math.min(cap, freeGpus / perTaskGpus(r));
        }
        long perGpuMem = memPerGpu(r);
        if (perGpuMem > 0) {
            if (gpus > 0 && pool.freeMem[i] < perGpuMem * gpus) {
                return 0;
            }
            if (perTaskGpus(r) > 0) {
                cap = Math.min(cap, pool.freeMem[i] / (perGpuMem * perTaskGpus(r)));
            }
        }
        if (r.ntasksPerNode() != null && r.ntasksPerNode() > 0) {
            cap = Math.min(cap, r.ntasksPerNode());
        }
        return (int) cap;
    }

    /** The least number of nodes whose capacities add up to {@code tasks}. */
    private static int fewest(int[] caps, int n, int tasks) {
        int max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, caps[i]);
        }
        // largest capacities first, counted rather than sorted: a pass asks this for every job it places
        int[] count = new int[max + 1];
        for (int i = 0; i < n; i++) {
            count[caps[i]]++;
        }
        long sum = 0;
        int k = 0;
        for (int c = max; c > 0; c--) {
            for (int m = count[c]; m > 0; m--) {
                sum += c;
                k++;
                if (sum >= tasks) {
                    return k;
                }
            }
        }
        return Integer.MAX_VALUE;
    }

    /**
     * Indices of exactly {@code k} nodes holding {@code tasks}, earliest nodes first; null when none do. A node is
     * taken when it and the best nodes after it can still hold what is left, counted with a histogram of the
     * remaining capacities so the scan stays linear.
     */
    private static int[] pick(int[] caps, int n, int maxCap, int k, int tasks, int required) {
        int[] after = new int[maxCap + 1];
        for (int i = 0; i < n; i++) {
            after[caps[i]]++;
        }
        int[] picked = new int[k];
        int count = 0;
        long held = 0;
        for (int i = 0; i < n && count < k; i++) {
            after[caps[i]]--;
            int rest = k - count - 1;
            if (n - i - 1 < rest) {
                break;
            }
            if (i < required || caps[i] + bestOf(after, rest) >= tasks - held) {
                picked[count++] = i;
                held += caps[i];
            }
        }
        return count == k && held >= tasks ? picked : null;
    }

    private static long bestOf(int[] hist, int count) {
        long sum = 0;
        for (int c = hist.length - 1; c > 0 && count > 0; c--) {
            int take = Math.min(count, hist[c]);
            sum += (long) take * c;
            count -= take;
        }
        return sum;
    }

    private static List<NodeShare> shares(JobRequest r, ResourcePool pool, int[] usable, int[] caps, int[] picked,
                                          int tasks, int cpusPerTask, long memPerTask, int gpus, boolean layout) {
        int[] perNode = new int[picked.length];
        int dealt = 0;
        while (dealt < tasks) {
            for (int j = 0; j < picked.length && dealt < tasks; j++) {
                if (perNode[j] < caps[picked[j]]) {
                    perNode[j]++;
                    dealt++;
                }
            }
        }
        List<List<Integer>> ranks = layout ? ranks(perNode, tasks, r.cyclic()) : null;
        boolean total = r.gpusTotal() != null && r.gpusTotal() > 0;
        List<NodeShare> out = new ArrayList<>(picked.length);
        for (int j = 0; j < picked.length; j++) {
            int i = usable[picked[j]];
            int want = total ? r.gpusTotal() / picked.length + (j < r.gpusTotal() % picked.length ? 1 : 0)
                    : perTaskGpus(r) > 0 ? perNode[j] * perTaskGpus(r) : gpus;
            List<Integer> gpuIds = want > 0 || r.wholeNodes() ? chooseGpus(pool, i, r.wholeNodes() ? null : r.gpuType(),
                    r.wholeNodes() ? pool.gpus[i].length : want) : List.of();
            int cpus = r.wholeNodes() ? pool.freeCount[i] : perNode[j] * cpusPerTask(pool, i, cpusPerTask);
            List<Integer> cpuIds = chooseCpus(pool, i, cpus, socketsOf(pool, i, gpuIds));
            long mem = r.memPerNodeMb() != null ? r.memPerNodeMb()
                    : memPerGpu(r) > 0 ? memPerGpu(r) * gpuIds.size() : memPerTask * perNode[j];
            out.add(new NodeShare(pool.names[i], perNode[j], cpuIds, mem, gpuIds, layout ? ranks.get(j) : List.of()));
        }
        return out;
    }

    /** Task ranks per node: block gives each node consecutive ranks, cyclic deals them round robin. */
    static List<List<Integer>> ranks(int[] perNode, int tasks, boolean cyclic) {
        List<List<Integer>> out = new ArrayList<>(perNode.length);
        if (!cyclic) {
            int rank = 0;
            for (int j = 0; j < perNode.length; j++) {
                int[] ids = new int[perNode[j]];
                for (int t = 0; t < ids.length; t++) {
                    ids[t] = rank++;
                }
                out.add(immutable(ids, ids.length));
            }
            return out;
        }
        int[][] ids = new int[perNode.length][];
        int[] filled = new int[perNode.length];
        for (int j = 0; j < perNode.length; j++) {
            ids[j] = new int[perNode[j]];
        }
        int rank = 0;
        while (rank < tasks) {
            for (int j = 0; j < perNode.length && rank < tasks; j++) {
                if (filled[j] < perNode[j]) {
                    ids[j][filled[j]++] = rank++;
                }
            }
        }
        for (int j = 0; j < perNode.length; j++) {
            out.add(immutable(ids[j], filled[j]));
        }
        return out;
    }

    /**
     * The first {@code n} values as the immutable list a {@link NodeShare} keeps (its {@code List.copyOf} then
     * copies nothing): every start lays out one share per node, and on many small nodes that adds up.
     */
    private static List<Integer> immutable(int[] values, int n) {
        return switch (n) {
            case 0 -> List.of();
            case 1 -> List.of(values[0]);
            case 2 -> List.of(values[0], values[1]);
            default -> {
                Integer[] boxed = new Integer[n];
                for (int k = 0; k < n; k++) {
                    boxed[k] = values[k];
                }
                yield List.of(boxed);
            }
        };
    }

    /** Free GPUs of the type, taken socket by socket starting with the socket that has the most free. */
    private static List<Integer> chooseGpus(ResourcePool pool, int i, String type, int count) {
        ResourcePool.Gpu[] all = pool.gpus[i];
        java.util.Map<Integer, List<Integer>> bySocket = new java.util.TreeMap<>();
        for (int g = pool.freeGpus[i].nextSetBit(0); g >= 0; g = pool.freeGpus[i].nextSetBit(g + 1)) {
            if (type == null || type.equalsIgnoreCase(all[g].type())) {
                bySocket.computeIfAbsent(all[g].socket(), s -> new ArrayList<>()).add(g);
            }
        }
        List<List<Integer>> groups = new ArrayList<>(bySocket.values());
        groups.sort((a, b) -> Integer.compare(b.size(), a.size()));
        List<Integer> out = new ArrayList<>(count);
        for (List<Integer> g : groups) {
            for (int id : g) {
                if (out.size() < count) {
                    out.add(id);
                }
            }
        }
        out.sort(null);
        return out;
    }

    private static List<Integer> chooseCores(ResourcePool pool, int i, int count, java.util.Set<Integer> near, int t) {
        List<Integer> out = new ArrayList<>(count);
        int[] socket = pool.cpuSocket[i];
        int cores = pool.cpuIds[i].length / t;
        for (int pass = 0; pass < 2 && out.size() < count; pass++) {
            for (int k = 0; k < cores && out.size() < count; k++) {
                int first = k * t;
                boolean whole = true;
                for (int p = first; p < first + t; p++) {
                    whole &= pool.cpuFree(i, p);
                }
                boolean isNear = !near.isEmpty() && socket != null && near.contains(socket[first]);
                // first pass: cores on the GPUs' sockets; second: the others
                if (whole && (pass == 0 ? isNear : !isNear)) {
                    for (int p = first; p < first + t; p++) {
                        out.add(pool.cpuIds[i][p]);
                    }
                }
            }
        }
        out.sort(null);
        return out;
    }

    private static java.util.Set<Integer> socketsOf(ResourcePool pool, int i, List<Integer> gpuIds) {
        if (gpuIds.isEmpty()) {
            return java.util.Set.of();
        }
        java.util.Set<Integer> s = new java.util.HashSet<>();
        for (int g : gpuIds) {
            if (pool.gpus[i][g].socket() >= 0) {
                s.add(pool.gpus[i][g].socket());
            }
        }
        return s;
    }

    /** A task's CPUs on node i: whole cores when the node has several threads per core (-c 1 takes a core). */
    static int cpusPerTask(ResourcePool pool, int i, int asked) {
        int t = pool.threads[i];
        return t <= 1 ? asked : (asked + t - 1) / t * t;
    }

    /** Lowest free CPU ids, those on the GPUs' sockets first; whole cores on a node with several threads each. */
    private static List<Integer> chooseCpus(ResourcePool pool, int i, int count, java.util.Set<Integer> near) {
        int t = pool.threads[i];
        if (t > 1) {
            return chooseCores(pool, i, count, near, t);
        }
        int[] out = new int[count];
        int n = 0;
        int[] socket = pool.cpuSocket[i];
        if (!near.isEmpty() && socket != null) {
            for (int p = pool.nextFreeCpu(i, 0); p >= 0 && n < count; p = pool.nextFreeCpu(i, p + 1)) {
                if (near.contains(socket[p])) {
                    out[n++] = pool.cpuIds[i][p];
                }
            }
        }
        for (int p = pool.nextFreeCpu(i, 0); p >= 0 && n < count; p = pool.nextFreeCpu(i, p + 1)) {
            int id = pool.cpuIds[i][p];
            if (near.isEmpty() || socket == null || !near.contains(socket[p])) {
                out[n++] = id;
            }
        }
        if (!near.isEmpty() && socket != null) {
            Arrays.sort(out, 0, n); // the GPUs' sockets came first; otherwise ids are in order already
        }
        return immutable(out, n);
    }
}
