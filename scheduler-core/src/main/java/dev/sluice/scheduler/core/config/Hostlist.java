package dev.sluice.scheduler.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Slurm hostlist expressions: {@code gpu-node[01-10]}, {@code n[1-3,7],login1}. Expands to names and compresses
 * names back, keeping zero padding.
 */
public final class Hostlist {
    private Hostlist() {
    }

    public static List<String> expand(String expr) {
        List<String> out = new ArrayList<>();
        if (expr == null || expr.isBlank()) {
            return out;
        }
        for (String part : splitTopLevel(expr.trim())) {
            int open = part.indexOf('[');
            if (open < 0) {
                out.add(part);
                continue;
            }
            int close = part.indexOf(']', open);
            if (close < 0) {
                throw new IllegalArgumentException("Invalid hostlist: " + expr);
            }
            String prefix = part.substring(0, open);
            String suffix = part.substring(close + 1);
            for (String range : part.substring(open + 1, close).split(",")) {
                String[] lohi = range.split("-", 2);
                int width = lohi[0].length();
                long lo = parse(lohi[0], expr);
                long hi = lohi.length == 2 ? parse(lohi[1], expr) : lo;
                if (hi < lo || hi - lo > 1_000_000) {
                    throw new IllegalArgumentException("Invalid hostlist range: " + range);
                }
                for (long i = lo; i <= hi; i++) {
                    List<String> tails = suffix.contains("[") ? expand(suffix) : List.of(suffix);
                    for (String tail : tails) {
                        out.add(prefix + pad(i, width) + tail);
                    }
                }
            }
        }
        return out;
    }

    /** Compresses names sharing a prefix and a numeric suffix: n01,n02,n03,x -> n[01-03],x. */
    public static String compress(List<String> names) {
        TreeMap<String, List<String>> byPrefix = new TreeMap<>();
        List<String> plain = new ArrayList<>();
        for (String n : names) {
            int i = n.length();
            while (i > 0 && Character.isDigit(n.charAt(i - 1))) {
                i--;
            }
            if (i == n.length()) {
                plain.add(n);
            } else {
                byPrefix.computeIfAbsent(n.substring(0, i), k -> new ArrayList<>()).add(n.substring(i));
            }
        }
        List<String> parts = new ArrayList<>();
        for (var e : byPrefix.entrySet()) {
            List<String> nums = e.getValue().stream().distinct()
                    .sorted((a, b) -> a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b))
                    .toList();
            if (nums.size() == 1) {
                parts.add(e.getKey() + nums.getFirst());
                continue;
            }
            List<String> ranges = new ArrayList<>();
            int start = 0;
            for (int k = 1; k <= nums.size(); k++) {
                boolean contiguous = k < nums.size()
                        && nums.get(k).length() == nums.get(k - 1).length()
                        && Long.parseLong(nums.get(k)) == Long.parseLong(nums.get(k - 1)) + 1;
                if (!contiguous) {
                    ranges.add(k - 1 == start ? nums.get(start) : nums.get(start) + "-" + nums.get(k - 1));
                    start = k;
                }
            }
            parts.add(e.getKey() + "[" + String.join(",", ranges) + "]");
        }
        parts.addAll(plain);
        return String.join(",", parts);
    }

    private static List<String> splitTopLevel(String expr) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char c : expr.toCharArray()) {
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            }
            if (c == ',' && depth == 0) {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.isEmpty()) {
            parts.add(cur.toString());
        }
        return parts;
    }

    private static long parse(String s, String expr) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid hostlist: " + expr);
        }
    }

    private static String pad(long i, int width) {
        String s = Long.toString(i);
        return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }
}
