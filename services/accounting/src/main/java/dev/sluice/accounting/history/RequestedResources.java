package dev.sluice.accounting.history;

import dev.sluice.contracts.job.Resources;

import java.util.List;

/** What a submitted job asked for, in the totals sacct shows (ReqCPUS, ReqMem, ReqNodes, ReqTRES gres/gpu). */
public record RequestedResources(int cpus, Long memMb, int nodes, int gpus) {

    public static RequestedResources of(Resources r) {
        if (r == null) {
            return new RequestedResources(1, null, 1, 0);
        }
        int cpus = r.ntasksOrDefault() * r.cpusPerTaskOrDefault();
        int nodes = r.nodesMin() == null ? 1 : r.nodesMin();
        Long mem = null;
        if (r.memPerNodeMb() != null) {
            mem = r.memPerNodeMb() * nodes;
        } else if (r.memPerCpuMb() != null) {
            mem = r.memPerCpuMb() * cpus;
        }
        return new RequestedResources(cpus, mem, nodes, gpusPerNode(r.gres()) * nodes);
    }

    /** {@code --gres} is per node: {@code gpu}, {@code gpu:2} and {@code gpu:h100:2} ask for 1, 2 and 2 GPUs. */
    static int gpusPerNode(List<String> gres) {
        if (gres == null) {
            return 0;
        }
        int total = 0;
        for (String g : gres) {
            String[] parts = g.trim().split(":");
            if (!parts[0].equals("gpu")) {
                continue;
            }
            String last = parts[parts.length - 1];
            total += parts.length > 1 && last.matches("\\d+") ? Integer.parseInt(last) : 1;
        }
        return total;
    }

    /** The GPU type of {@code --gres=gpu:h100:2} ("h100"); null when untyped or without GPUs. */
    public static String gpuType(List<String> gres) {
        if (gres == null) {
            return null;
        }
        for (String g : gres) {
            String[] parts = g.trim().split(":");
            if (parts[0].equals("gpu") && parts.length >= 2 && !parts[1].matches("\\d+")) {
                return parts[1];
            }
        }
        return null;
    }
}
