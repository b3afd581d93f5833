package dev.sluice.scheduler.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An {@code --array} value: task ids ({@code 0-15:2}, {@code 1,3,5-7}) and an optional {@code %throttle} (at most
 * that many tasks running at once). Ids are kept sorted and distinct.
 */
public record ArraySpec(int[] ids, Integer throttle) {
    /** Slurm's MaxArraySize default: task ids must be below it. */
    public static final int MAX_ARRAY_SIZE = 1001;
    public static final String INVALID = "Invalid job array specification";

    /** @throws IllegalArgumentException with Slurm's message for a malformed value */
    public static ArraySpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException(INVALID);
        }
        String s = spec.trim();
        Integer throttle = null;
        int pct = s.indexOf('%');
        try {
            if (pct >= 0) {
                throttle = Integer.parseInt(s.substring(pct + 1).trim());
                s = s.substring(0, pct);
                if (throttle < 0) {
                    throw new IllegalArgumentException(INVALID);
                }
                if (throttle == 0) {
                    throttle = null;
                }
            }
            java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
            for (String part : s.split(",")) {
                String p = part.trim();
                int step = 1;
                int colon = p.indexOf(':');
                if (colon >= 0) {
                    step = Integer.parseInt(p.substring(colon + 1).trim());
                    p = p.substring(0, colon);
                }
                int dash = p.indexOf('-');
                int lo = Integer.parseInt((dash >= 0 ? p.substring(0, dash) : p).trim());
                int hi = dash >= 0 ? Integer.parseInt(p.substring(dash + 1).trim()) : lo;
                if (step < 1 || lo < 0 || hi < lo || hi >= MAX_ARRAY_SIZE) {
                    throw new IllegalArgumentException(INVALID);
                }
                for (int i = lo; i <= hi; i += step) {
                    ids.add(i);
                }
            }
            return new ArraySpec(ids.stream().mapToInt(Integer::intValue).toArray(), throttle);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(INVALID);
        }
    }

    public int size() {
        return ids.length;
    }

    /** Task {@code taskId}'s own job id: the array job id plus the task's position among the ids; -1 if absent. */
    public long jobIdOf(long arrayJobId, int taskId) {
        int pos = Arrays.binarySearch(ids, taskId);
        return pos < 0 ? -1 : arrayJobId + pos;
    }

    /** The ids as squeue writes them, ranges compressed, with the throttle: {@code 6-15%4}, {@code 1,3,5-7}. */
    public String format() {
        return format(ids, throttle);
    }

    static String format(int[] ids, Integer throttle) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < ids.length) {
            int j = i;
            while (j + 1 < ids.length && ids[j + 1] == ids[j] + 1) {
                j++;
            }
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append(ids[i]);
            if (j > i) {
                b.append('-').append(ids[j]);
            }
            i = j + 1;
        }
        if (throttle != null) {
            b.append('%').append(throttle);
        }
        return b.toString();
    }

    /** The same spec without the given ids. */
    ArraySpec without(int... gone) {
        List<Integer> keep = new ArrayList<>();
        for (int id : ids) {
            if (Arrays.stream(gone).noneMatch(g -> g == id)) {
                keep.add(id);
            }
        }
        return new ArraySpec(keep.stream().mapToInt(Integer::intValue).toArray(), throttle);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArraySpec a && Arrays.equals(ids, a.ids) && java.util.Objects.equals(throttle, a.throttle);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids) * 31 + java.util.Objects.hashCode(throttle);
    }

    @Override
    public String toString() {
        return format();
    }
}
