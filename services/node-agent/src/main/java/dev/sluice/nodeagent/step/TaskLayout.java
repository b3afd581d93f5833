package dev.sluice.nodeagent.step;

import dev.sluice.contracts.job.NodeAllocation;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Where a step's tasks run: which nodes of the allocation, which global ranks on each, and each task's CPUs and
 * GPUs, computed once by the first node's agent and handed to every node with its share.
 */
public record TaskLayout(List<NodePart> nodes, int ntasks) {

    /** One task: global rank, rank on its node, its CPUs (all the node's with --cpu-bind=none) and GPUs. */
    public record Task(int rank, int localId, List<Integer> cpus, List<Integer> gpus) {
    }

    /** A node's share of the step; {@code index} is its position in the step's node list (SLURM_NODEID). */
    public record NodePart(String node, int index, List<Task> tasks) {
    }

    public List<String> nodeNames() {
        return nodes.stream().map(NodePart::node).toList();
    }

    public List<Integer> tasksPerNode() {
        return nodes.stream().map(n -> n.tasks().size()).toList();
    }

    /** Global ranks per node, in node order (PMI's process mapping, PMIx's proc map). */
    public List<List<Integer>> ranksByNode() {
        return nodes.stream().map(n -> n.tasks().stream().map(Task::rank).toList()).toList();
    }

    /** Slurm's run-length form: 2,2,1 becomes {@code 2(x2),1}. */
    public String tasksPerNodeText() {
        List<Integer> counts = tasksPerNode();
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < counts.size()) {
            int run = 1;
            while (i + run < counts.size() && counts.get(i + run).equals(counts.get(i))) {
                run++;
            }
            parts.add(run == 1 ? counts.get(i).toString() : counts.get(i) + "(x" + run + ")");
            i += run;
        }
        return String.join(",", parts);
    }

    public static TaskLayout plan(long jobId, List<NodeAllocation> allocation, StepRequest r) throws StepRejected {
        if (allocation == null || allocation.isEmpty()) {
            throw StepRejected.unable(jobId, "Job has no allocation");
        }
        int c = r.cpusPerTaskOrDefault();
        List<NodeAllocation> candidates = allocation;
        List<String> wanted = r.nodes();
        if (!wanted.isEmpty()) {
            List<String> names = allocation.stream().map(NodeAllocation::node).toList();
            for (String w : wanted) {
                if (!names.contains(w)) {
                    throw StepRejected.unable(jobId, "Requested node configuration is not available");
                }
            }
            candidates = allocation.stream().filter(a -> wanted.contains(a.node())).toList();
        }
        int[] capacity = candidates.stream().mapToInt(a -> (cpus(a).isEmpty() ? Math.max(1, a.tasks()) : cpus(a).size()) / c)
                .toArray();
        int nodesMin = r.nodesMin() == null ? 0 : r.nodesMin();
        int nodesMax = r.nodesMax() == null ? (r.nodesMin() == null ? candidates.size() : nodesMin) : r.nodesMax();
        if (nodesMin > candidates.size() || (!wanted.isEmpty() && nodesMin > wanted.size())) {
            throw StepRejected.unable(jobId, "Requested node configuration is not available");
        }
        Integer perNode = r.ntasksPerNode() != null && r.ntasksPerNode() > 0 ? r.ntasksPerNode() : null;

        int n;
        int nodeCount;
        if (r.ntasks() != null && r.ntasks() > 0) {
            n = r.ntasks();
            if (!wanted.isEmpty()) {
                nodeCount = candidates.size();
            } else if (perNode != null) {
                nodeCount = Math.max(nodesMin, (n + perNode - 1) / perNode);
            } else {
                // as few nodes as the tasks need, in allocation order, but at least -N
                int need = 0;
                int sum = 0;
                while (need < candidates.size() && sum < n) {
                    sum += capacity[need++];
                }
                nodeCount = Math.max(Math.max(1, nodesMin), need);
            }
            nodeCount = Math.min(nodeCount, Math.min(n, Math.max(nodesMax, nodesMin)));
        } else {
            nodeCount = !wanted.isEmpty() ? candidates.size() : nodesMin > 0 ? nodesMin : candidates.size();
            n = nodeCount * (perNode == null ? 1 : perNode);
        }
        if (nodeCount > candidates.size() || nodeCount < 1) {
            throw StepRejected.unable(jobId, "Requested node configuration is not available");
        }
        List<NodeAllocation> used = candidates.subList(0, nodeCount);

        int[] counts = new int[nodeCount];
        if (perNode != null) {
            int left = n;
            for (int i = 0; i < nodeCount; i++) {
                counts[i] = Math.min(perNode, left);
                left -= counts[i];
            }
            if (left > 0) {
                throw StepRejected.unable(jobId, "More processors requested than permitted");
            }
        } else {
            for (int i = 0; i < nodeCount; i++) {
                counts[i] = n / nodeCount + (i < n % nodeCount ? 1 : 0);
            }
        }
        // nodes over their capacity give their extra tasks to nodes with room, in order
        int excess = 0;
        for (int i = 0; i < nodeCount; i++) {
            if (counts[i] > capacity[i]) {
                excess += counts[i] - capacity[i];
                counts[i] = capacity[i];
            }
        }
        for (int i = 0; i < nodeCount && excess > 0 && perNode == null; i++) {
            int room = capacity[i] - counts[i];
            int take = Math.min(room, excess);
            counts[i] += take;
            excess -= take;
        }
        if (excess > 0) {
            throw StepRejected.unable(jobId, "More processors requested than permitted");
        }

        List<List<Integer>> ranks = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            ranks.add(new ArrayList<>());
        }
        if (r.cyclic()) {
            int rank = 0;
            while (rank < n) {
                for (int i = 0; i < nodeCount && rank < n; i++) {
                    if (ranks.get(i).size() < counts[i]) {
                        ranks.get(i).add(rank++);
                    }
                }
            }
        } else {
            int rank = 0;
            for (int i = 0; i < nodeCount; i++) {
                for (int k = 0; k < counts[i]; k++) {
                    ranks.get(i).add(rank++);
                }
            }
        }

        int g = r.gpusPerTask() == null ? 0 : r.gpusPerTask();
        List<NodePart> parts = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            NodeAllocation a = used.get(i);
            List<Integer> nodeCpus = cpus(a).stream().sorted().toList();
            List<Integer> nodeGpus = a.gpus() == null ? List.of() : a.gpus();
            if (g * counts[i] > nodeGpus.size()) {
                throw StepRejected.unable(jobId, "Requested node configuration is not available");
            }
            List<Task> tasks = new ArrayList<>();
            for (int local = 0; local < counts[i]; local++) {
                List<Integer> taskCpus = !r.bindCores() || nodeCpus.isEmpty() ? nodeCpus
                        : nodeCpus.subList(local * c, local * c + c);
                List<Integer> taskGpus = g == 0 ? nodeGpus : nodeGpus.subList(local * g, local * g + g);
                tasks.add(new Task(ranks.get(i).get(local), local, List.copyOf(taskCpus), List.copyOf(taskGpus)));
            }
            parts.add(new NodePart(a.node(), i, tasks));
        }
        return new TaskLayout(parts, n);
    }

    private static List<Integer> cpus(NodeAllocation a) {
        return a.cpuIds() == null ? List.of() : a.cpuIds();
    }

    @Override
    public String toString() {
        return nodes.stream().map(p -> p.node() + ":" + p.tasks().stream().map(t -> t.rank() + "@" + t.cpus())
                .collect(Collectors.joining(" "))).collect(Collectors.joining("; "));
    }
}
