package dev.sluice.nodeagent.discovery;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** The kernel's CPU list syntax ({@code 0-3,8,10-11}), as in /sys/devices/system/cpu/online and cpusets. */
public final class CpuList {
    private CpuList() {
    }

    public static List<Integer> parse(String text) {
        TreeSet<Integer> ids = new TreeSet<>();
        if (text == null || text.isBlank()) {
            return List.of();
        }
        for (String part : text.trim().split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            try {
                int dash = p.indexOf('-');
                int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
                int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1).trim());
                if (lo < 0 || hi < lo) {
                    throw new IllegalArgumentException("Invalid CPU list: " + text);
                }
                for (int i = lo; i <= hi; i++) {
                    ids.add(i);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Invalid CPU list: " + text);
            }
        }
        return new ArrayList<>(ids);
    }
}
