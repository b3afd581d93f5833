package dev.sluice.scheduler.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ids of jobs that ended, as ranges, so that a redelivered JobSubmitted of a finished job (whose state record
 * is gone) is not run again. Ids come from one sequence and jobs mostly end near submit order, so the ranges
 * merge as jobs end: the record stays a handful of pairs, not one entry per job.
 */
final class EndedJobs {
    /** first id of a range -> last id of it, inclusive; ranges neither overlap nor touch. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    boolean contains(long id) {
        Map.Entry<Long, Long> e = ranges.floorEntry(id);
        return e != null && id <= e.getValue();
    }

    /** True when the id was not known to have ended. */
    boolean add(long id) {
        if (contains(id)) {
            return false;
        }
        long from = id;
        long to = id;
        Map.Entry<Long, Long> below = ranges.floorEntry(id - 1);
        if (below != null && below.getValue() == id - 1) {
            from = below.getKey();
            ranges.remove(below.getKey());
        }
        Long aboveTo = ranges.remove(id + 1);
        if (aboveTo != null) {
            to = aboveTo;
        }
        ranges.put(from, to);
        return true;
    }

    /** [from, to] pairs, for the state record. */
    List<long[]> ranges() {
        List<long[]> out = new ArrayList<>(ranges.size());
        ranges.forEach((f, t) -> out.add(new long[]{f, t}));
        return out;
    }

    void clear() {
        ranges.clear();
    }

    void load(List<long[]> pairs) {
        ranges.clear();
        for (long[] p : pairs) {
            ranges.put(p[0], p[1]);
        }
    }

    int size() {
        return ranges.size();
    }
}
