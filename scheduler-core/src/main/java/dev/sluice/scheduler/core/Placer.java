package dev.sluice.scheduler.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Finds where a job's tasks go on free resources: the fewest nodes that can hold them (at least {@code -N min}, at
 * most {@code -N max}), preferring nodes earlier in order, tasks dealt one at a time across the chosen nodes as
 * Slurm's block allocation does, CPU ids lowest first. An exclusive job takes idle nodes whole.
 */
final class Placer {
    /** A node's free resources. {@code freeCpus} ascending; {@code idle}: no job holds anything on it. */
    record Free(String node, List<Integer> freeCpus, long freeMemMb, boolean idle) {
    }

    private Placer() {
    }

    /** @param defMemPerCpuMb memory reserved per CPU when the job asks for none; null reserves nothing */
    static Optional<List<NodeShare>> place(JobRequest r, List<Free> nodes, Long defMemPerCpuMb) {
        int tasks = r.effectiveTasks();
        int cpusPerTask = r.effectiveCpusPerTask();
        long memPerTask = memPerTask(r, defMemPerCpuMb);
        List<Free> usable = new ArrayList<>();
        List<Integer> caps = new ArrayList<>();
        for (Free f : nodes) {
            int cap = capacity(r, f, cpusPerTask, memPerTask);
            if (cap > 0) {
                usable.add(f);
                caps.add(cap);
            }
        }
        int maxNodes = Math.min(Math.min(r.effectiveNodesMax(), usable.size()), tasks);
        for (int k = r.effectiveNodesMin(); k <= maxNodes; k++) {
            List<Integer> picked = pick(caps, k, tasks);
            if (picked != null) {
                return Optional.of(shares(r, usable, caps, picked, tasks, cpusPerTask, memPerTask));
            }
        }
        return Optional.empty();
    }

    private static long memPerTask(JobRequest r, Long defMemPerCpuMb) {
        if (r.memPerCpuMb() != null) {
            return r.memPerCpuMb() * r.effectiveCpusPerTask();
        }
        if (r.memPerNodeMb() == null && defMemPerCpuMb != null) {
            return defMemPerCpuMb * r.effectiveCpusPerTask();
        }
        return 0;
    }

    private static int capacity(JobRequest r, Free f, int cpusPerTask, long memPerTask) {
        if (r.memPerNodeMb() != null && f.freeMemMb() < r.memPerNodeMb() || r.wholeNodes() && !f.idle()) {
            return 0;
        }
        long cap = f.freeCpus().size() / cpusPerTask;
        if (memPerTask > 0) {
            cap = Math.min(cap, f.freeMemMb() / memPerTask);
        }
        if (r.ntasksPerNode() != null && r.ntasksPerNode() > 0) {
            cap = Math.min(cap, r.ntasksPerNode());
        }
        return (int) cap;
    }

    /** Indices of exactly {@code k} nodes holding {@code tasks}, earliest nodes first; null when none do. */
    private static List<Integer> pick(List<Integer> caps, int k, int tasks) {
        List<Integer> picked = new ArrayList<>();
        int held = 0;
        for (int i = 0; i < caps.size() && picked.size() < k; i++) {
            int rest = k - picked.size() - 1;
            if (caps.get(i) + bestOf(caps, i + 1, rest) >= tasks - held && caps.size() - i - 1 >= rest) {
                picked.add(i);
                held += caps.get(i);
            }
        }
        return picked.size() == k && held >= tasks ? picked : null;
    }

    private static long bestOf(List<Integer> caps, int from, int count) {
        return caps.subList(from, caps.size()).stream().sorted(Comparator.reverseOrder()).limit(count)
                .mapToLong(Integer::longValue).sum();
    }

    private static List<NodeShare> shares(JobRequest r, List<Free> usable, List<Integer> caps, List<Integer> picked,
                                          int tasks, int cpusPerTask, long memPerTask) {
        int[] perNode = new int[picked.size()];
        int dealt = 0;
        while (dealt < tasks) {
            for (int j = 0; j < picked.size() && dealt < tasks; j++) {
                if (perNode[j] < caps.get(picked.get(j))) {
                    perNode[j]++;
                    dealt++;
                }
            }
        }
        List<NodeShare> out = new ArrayList<>();
        for (int j = 0; j < picked.size(); j++) {
            Free f = usable.get(picked.get(j));
            int cpus = r.wholeNodes() ? f.freeCpus().size() : perNode[j] * cpusPerTask;
            long mem = r.memPerNodeMb() != null ? r.memPerNodeMb() : memPerTask * perNode[j];
            out.add(new NodeShare(f.node(), perNode[j], f.freeCpus().subList(0, cpus), mem));
        }
        return out;
    }
}
