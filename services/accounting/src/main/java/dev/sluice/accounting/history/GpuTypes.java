package dev.sluice.accounting.history;

import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.config.Hostlist;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The type of each GPU index on each node, from the nodes' {@code Gres=} in the cluster config the scheduler
 * allocates from ({@code gpu:h100:4(S:0),gpu:h100:4(S:1)}: indices follow the order written, as the scheduling
 * core numbers them).
 */
public final class GpuTypes {
    private final Map<String, List<String>> byNode = new HashMap<>();

    public GpuTypes(ClusterConfig config) {
        for (ClusterConfig.NodeDef n : config.nodes()) {
            List<String> types = parse(n.param("Gres").orElse(""));
            if (types.isEmpty()) {
                continue;
            }
            for (String name : Hostlist.expand(n.name())) {
                byNode.put(name, types);
            }
        }
    }

    static List<String> parse(String gres) {
        List<String> out = new ArrayList<>();
        if (gres.isBlank() || gres.equalsIgnoreCase("(null)")) {
            return out;
        }
        for (String part : gres.split(",(?![^(]*\\))")) {
            String p = part.trim();
            int paren = p.indexOf('(');
            if (paren >= 0) {
                p = p.substring(0, paren);
            }
            String[] f = p.split(":");
            if (f.length < 2 || !f[0].equalsIgnoreCase("gpu")) {
                continue;
            }
            int count;
            try {
                count = Integer.parseInt(f[f.length - 1].trim());
            } catch (NumberFormatException e) {
                continue;
            }
            for (int i = 0; i < count; i++) {
                out.add(f.length == 3 ? f[1] : null);
            }
        }
        return out;
    }

    /**
     * The one type of every GPU the allocation holds, or null: no GPUs, a node or index the config does not type,
     * or GPUs of several types (then no single {@code gres/gpu:<type>} count describes the job).
     */
    public String of(List<NodeAllocation> nodes) {
        String type = null;
        for (NodeAllocation n : nodes) {
            if (n.gpus() == null || n.gpus().isEmpty()) {
                continue;
            }
            List<String> types = byNode.get(n.node());
            if (types == null) {
                return null;
            }
            for (int index : n.gpus()) {
                String t = index >= 0 && index < types.size() ? types.get(index) : null;
                if (t == null || (type != null && !type.equals(t))) {
                    return null;
                }
                type = t;
            }
        }
        return type;
    }
}
