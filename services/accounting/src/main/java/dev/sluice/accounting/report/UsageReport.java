package dev.sluice.accounting.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * sreport's numbers from job spans: TRES-seconds each job held inside the window [from, to), summed per user and
 * per account, and rolled up the account tree (an account's usage includes its sub-accounts'; root is the total).
 */
public final class UsageReport {
    /** What one job held from start to end (end null: still running, counted until now). */
    public record Span(long jobId, String account, String user, Instant start, Instant end, long cpus, long memMb,
                       long gpus, String gpuType, double billing) {
        public Span(long jobId, String account, String user, Instant start, Instant end, long cpus, long memMb,
                    long gpus, double billing) {
            this(jobId, account, user, start, end, cpus, memMb, gpus, null, billing);
        }

        double count(String tres) {
            return switch (tres) {
                case "cpu" -> cpus;
                case "mem" -> memMb;
                case "gres/gpu" -> gpus;
                case "billing" -> billing;
                default -> {
                    if (tres.startsWith("gres/gpu:")) {
                        // gres/gpu:h100 counts only the GPUs of that type
                        yield tres.substring("gres/gpu:".length()).equals(gpuType) ? gpus : 0;
                    }
                    throw new IllegalArgumentException("Unknown TRES: " + tres);
                }
            };
        }
    }

    /** A line of AccountUtilizationByUser / UserUtilizationByAccount: user is "" on an account's line. */
    public record Line(String account, String user, int level, double used) {
    }

    private UsageReport() {
    }

    public static double seconds(Span s, Instant from, Instant to, Instant now) {
        Instant end = s.end() == null ? now : s.end();
        Instant a = s.start().isAfter(from) ? s.start() : from;
        Instant b = end.isBefore(to) ? end : to;
        return b.isAfter(a) ? Duration.between(a, b).toMillis() / 1000.0 : 0;
    }

    public static double allocated(List<Span> spans, Instant from, Instant to, Instant now, String tres) {
        double sum = 0;
        for (Span s : spans) {
            sum += seconds(s, from, to, now) * s.count(tres);
        }
        return sum;
    }

    /**
     * Accounts in tree order (depth first, children by name) with each account's users after it; {@code parents}
     * maps account to parent account (root has none). Accounts seen in jobs but not in the tree hang under root.
     */
    public static List<Line> byAccountAndUser(List<Span> spans, Instant from, Instant to, Instant now, String tres,
                                              Map<String, String> parents) {
        Map<String, Map<String, Double>> direct = new TreeMap<>();
        for (Span s : spans) {
            double used = seconds(s, from, to, now) * s.count(tres);
            if (used <= 0) {
                continue;
            }
            String account = s.account() == null ? "root" : s.account();
            direct.computeIfAbsent(account, k -> new TreeMap<>()).merge(s.user() == null ? "" : s.user(), used,
                    Double::sum);
        }
        Map<String, String> tree = new LinkedHashMap<>(parents);
        for (String a : direct.keySet()) {
            if (!a.equals("root") && !tree.containsKey(a)) {
                tree.put(a, "root");
            }
        }
        Map<String, TreeSet<String>> children = new TreeMap<>();
        tree.forEach((a, p) -> {
            if (p != null && !a.equals("root")) {
                children.computeIfAbsent(p, k -> new TreeSet<>()).add(a);
            }
        });
        List<Line> out = new ArrayList<>();
        walk("root", 0, children, direct, out);
        return out;
    }

    private static double walk(String account, int level, Map<String, TreeSet<String>> children,
                               Map<String, Map<String, Double>> direct, List<Line> out) {
        int at = out.size();
        out.add(null);
        double total = 0;
        for (Map.Entry<String, Double> u : direct.getOrDefault(account, Map.of()).entrySet()) {
            total += u.getValue();
            out.add(new Line(account, u.getKey(), level + 1, u.getValue()));
        }
        for (String child : children.getOrDefault(account, new TreeSet<>())) {
            total += walk(child, level + 1, children, direct, out);
        }
        if (total <= 0 && !account.equals("root")) {
            // sreport leaves out accounts with no usage in the window
            out.subList(at, out.size()).clear();
            return 0;
        }
        out.set(at, new Line(account, "", level, total));
        return total;
    }

    /** UserUtilizationByAccount: one line per (user, account), heaviest first. */
    public static List<Line> byUserAndAccount(List<Span> spans, Instant from, Instant to, Instant now, String tres) {
        Map<List<String>, Double> sums = new LinkedHashMap<>();
        for (Span s : spans) {
            double used = seconds(s, from, to, now) * s.count(tres);
            if (used > 0 && s.user() != null) {
                sums.merge(List.of(s.user(), s.account() == null ? "" : s.account()), used, Double::sum);
            }
        }
        List<Line> out = new ArrayList<>();
        sums.forEach((k, v) -> out.add(new Line(k.get(1), k.get(0), 0, v)));
        out.sort((a, b) -> a.used() != b.used() ? Double.compare(b.used(), a.used())
                : (a.user() + a.account()).compareTo(b.user() + b.account()));
        return out;
    }
}
