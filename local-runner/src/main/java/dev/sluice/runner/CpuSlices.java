package dev.sluice.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Splits this host's CPUs among the local node agents, so that several agents do not claim the same cores. */
public final class CpuSlices {
    /** Per node, the CPU list to pass as sluice.node.cpus (null: the node takes them all), and a note to show. */
    public record Assignment(List<String> perNode, String note) {
    }

    private CpuSlices() {
    }

    public static Assignment assign(List<Integer> cpus, int nodes) {
        List<String> per = new ArrayList<>();
        if (nodes == 1) {
            per.add(null);
            return new Assignment(per, null);
        }
        if (cpus.size() < nodes) {
            for (int i = 0; i < nodes; i++) {
                per.add(null);
            }
            return new Assignment(per, "this host has " + cpus.size() + " CPUs for " + nodes
                    + " node agents: each node agent gets all of them (they overlap)");
        }
        int base = cpus.size() / nodes;
        int extra = cpus.size() % nodes;
        int at = 0;
        for (int i = 0; i < nodes; i++) {
            int n = base + (i < extra ? 1 : 0);
            per.add(compress(cpus.subList(at, at + n)));
            at += n;
        }
        return new Assignment(per, null);
    }

    /** The CPUs this process may run on (cgroup/affinity aware), else 0..n-1. */
    public static List<Integer> available() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return expand(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: fall back to the count.
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            all.add(i);
        }
        return all;
    }

    static List<Integer> expand(String list) {
        List<Integer> out = new ArrayList<>();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] r = part.trim().split("-");
            int from = Integer.parseInt(r[0]);
            int to = r.length > 1 ? Integer.parseInt(r[1]) : from;
            for (int c = from; c <= to; c++) {
                out.add(c);
            }
        }
        return out;
    }

    static String compress(List<Integer> cpus) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < cpus.size()) {
            int j = i;
            while (j + 1 < cpus.size() && cpus.get(j + 1) == cpus.get(j) + 1) {
                j++;
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(cpus.get(i));
            if (j > i) {
                sb.append('-').append(cpus.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
