package dev.sluice.cli.sinfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Slurm's hostlist expressions: {@code node[01-03,07]} to names and back. */
public final class Hostlist {
    private static final Pattern NUMBERED = Pattern.compile("(.*?)(\\d+)");

    private Hostlist() {
    }

    /** Names sorted as Slurm sorts them and runs of numbers folded: node01,node02,node04 → node[01-02,04]. */
    public static String compress(List<String> names) {
        Map<String, TreeSet<Long>> byPrefix = new LinkedHashMap<>();
        Map<String, Integer> widths = new LinkedHashMap<>();
        List<String> plain = new ArrayList<>();
        for (String n : new TreeSet<>(names)) {
            Matcher m = NUMBERED.matcher(n);
            if (m.matches()) {
                String key = m.group(1) + "\0" + m.group(2).length();
                byPrefix.computeIfAbsent(key, k -> new TreeSet<>()).add(Long.parseLong(m.group(2)));
                widths.put(key, m.group(2).length());
            } else {
                plain.add(n);
            }
        }
        List<String> parts = new ArrayList<>(plain);
        byPrefix.forEach((key, nums) -> {
            String prefix = key.substring(0, key.indexOf('\0'));
            int width = widths.get(key);
            String fmt = "%0" + width + "d";
            if (nums.size() == 1) {
                parts.add(prefix + fmt.formatted(nums.first()));
                return;
            }
            List<String> ranges = new ArrayList<>();
            Long start = null;
            Long prev = null;
            for (long v : nums) {
                if (start == null) {
                    start = v;
                } else if (v != prev + 1) {
                    ranges.add(range(fmt, start, prev));
                    start = v;
                }
                prev = v;
            }
            ranges.add(range(fmt, start, prev));
            parts.add(prefix + "[" + String.join(",", ranges) + "]");
        });
        parts.sort(null);
        return String.join(",", parts);
    }

    private static String range(String fmt, long a, long b) {
        return a == b ? fmt.formatted(a) : fmt.formatted(a) + "-" + fmt.formatted(b);
    }

    /** node[01-02,05],login → node01,node02,node05,login. */
    public static List<String> expand(String expr) {
        List<String> out = new ArrayList<>();
        for (String item : splitTop(expr)) {
            int open = item.indexOf('[');
            if (open < 0 || !item.endsWith("]")) {
                out.add(item);
                continue;
            }
            String prefix = item.substring(0, open);
            for (String r : item.substring(open + 1, item.length() - 1).split(",")) {
                int dash = r.indexOf('-');
                if (dash < 0) {
                    out.add(prefix + r);
                    continue;
                }
                String a = r.substring(0, dash);
                String b = r.substring(dash + 1);
                long from = Long.parseLong(a);
                long to = Long.parseLong(b);
                for (long v = from; v <= to; v++) {
                    out.add(prefix + ("%0" + a.length() + "d").formatted(v));
                }
            }
        }
        return out;
    }

    private static List<String> splitTop(String expr) {
        List<String> items = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char c : expr.toCharArray()) {
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            }
            if (c == ',' && depth == 0) {
                if (!cur.isEmpty()) {
                    items.add(cur.toString());
                }
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.isEmpty()) {
            items.add(cur.toString());
        }
        return items;
    }
}
