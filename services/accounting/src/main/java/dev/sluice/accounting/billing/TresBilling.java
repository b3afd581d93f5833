package dev.sluice.accounting.billing;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A partition's TRESBillingWeights ("CPU=1.0,Mem=0.25G,GRES/gpu=2.0") and how a job's allocation is billed with
 * them: the weighted sum by default, or with PriorityFlags=MAX_TRES the largest weighted node-level TRES (cpu,
 * mem, node, gres) plus the sum of the global ones (licenses, burst buffers). Without weights a job bills its
 * CPUs, as in Slurm. Mem weights with a unit suffix are per that unit (0.25G: a quarter per GiB), else per MiB.
 */
public record TresBilling(Map<String, Double> weights, boolean maxTres) {
    public static final TresBilling CPUS = new TresBilling(Map.of(), false);

    /** What a job holds: CPUs, memory in MiB, nodes, and GRES counts by name ("gpu", "gpu:h100"). */
    public record Alloc(int cpus, long memMb, int nodes, Map<String, Integer> gres) {
    }

    public static TresBilling parse(String spec, boolean maxTres) {
        Map<String, Double> w = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return new TresBilling(w, maxTres);
        }
        for (String part : spec.replace("\"", "").split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("Invalid TRESBillingWeights: " + spec);
            }
            String name = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = part.substring(eq + 1).trim();
            double factor = 1;
            char last = value.isEmpty() ? ' ' : Character.toUpperCase(value.charAt(value.length() - 1));
            if (name.equals("mem") && "KMGT".indexOf(last) >= 0) {
                // the weight is per unit of the suffix; store it per MiB
                factor = switch (last) {
                    case 'K' -> 1024.0;
                    case 'M' -> 1.0;
                    case 'G' -> 1.0 / 1024;
                    default -> 1.0 / (1024 * 1024);
                };
                value = value.substring(0, value.length() - 1);
            }
            try {
                w.put(name, Double.parseDouble(value) * factor);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Invalid TRESBillingWeights: " + spec);
            }
        }
        return new TresBilling(w, maxTres);
    }

    public double bill(Alloc a) {
        if (weights.isEmpty()) {
            return a.cpus();
        }
        double sum = 0;
        double max = 0;
        double global = 0;
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            String tres = e.getKey();
            double value = e.getValue() * count(a, tres);
            if (tres.startsWith("license/") || tres.startsWith("bb/")) {
                global += value;
            } else {
                max = Math.max(max, value);
            }
            sum += value;
        }
        return maxTres ? max + global : sum;
    }

    private static double count(Alloc a, String tres) {
        return switch (tres) {
            case "cpu" -> a.cpus();
            case "mem" -> a.memMb();
            case "node" -> a.nodes();
            default -> {
                if (!tres.startsWith("gres/")) {
                    yield 0;
                }
                String g = tres.substring("gres/".length());
                if (g.contains(":")) {
                    yield a.gres().getOrDefault(g, 0);
                }
                // GRES/gpu weighs every GPU, typed or not
                int n = 0;
                for (Map.Entry<String, Integer> e : a.gres().entrySet()) {
                    if (e.getKey().equals(g) || e.getKey().startsWith(g + ":")) {
                        n += e.getValue();
                    }
                }
                yield n;
            }
        };
    }

    /** The billing count sacct shows in AllocTRES: the billed value without its fraction, as Slurm stores it. */
    public long billingCount(Alloc a) {
        return (long) bill(a);
    }
}
