package dev.sluice.simulator;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator's results on the whole lublin_256 trace, recorded before the core's speed work (issue 3,
 * "Measure"): a change meant for speed must leave every job's start second as it was, so these are exact. The
 * trace exercises FIFO blocking (about 1,900 jobs waiting on average), EASY reservations and backfill.
 */
class PinnedResultsTest {
    static List<Swf.TraceJob> trace() throws Exception {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path f = d.resolve("shared/data/lublin_256.swf");
            if (Files.isRegularFile(f)) {
                return Swf.read(f);
            }
            Path g = d.resolve("../shared/data/lublin_256.swf").normalize();
            if (Files.isRegularFile(g)) {
                return Swf.read(g);
            }
        }
        throw new IllegalStateException("shared/data/lublin_256.swf not found above " + dir);
    }

    /** Order-independent fingerprint of every (job, start second). */
    static long digest(Map<Long, Long> starts) {
        long h = 1125899906842597L;
        for (Map.Entry<Long, Long> e : new TreeMap<>(starts).entrySet()) {
            h = 31 * h + e.getKey();
            h = 31 * h + e.getValue();
        }
        return h;
    }

    private static Simulation.Metrics run(String policy, Map<Long, Long> starts) throws Exception {
        return Simulation.run(trace(), new Simulation.Options(policy, 256, 1, new Simulation.Estimate.Actual()),
                starts);
    }

    @Test
    void fifoOnTheWholeTrace() throws Exception {
        Map<Long, Long> starts = new TreeMap<>();
        Simulation.Metrics m = run("fifo", starts);

        assertThat(m.jobs()).isEqualTo(10_000);
        assertThat(String.format(java.util.Locale.ROOT, "%.1f %.2f %.4f %d", m.meanWaitSeconds(),
                m.meanBoundedSlowdown(), m.utilisation(), m.makespanSeconds()))
                .isEqualTo("2388443.8 66502.48 0.6549 12482549");
        assertThat(digest(starts)).isEqualTo(FIFO_DIGEST);
    }

    @Test
    void easyOnTheWholeTrace() throws Exception {
        Map<Long, Long> starts = new TreeMap<>();
        Simulation.Metrics m = run("easy", starts);

        assertThat(m.jobs()).isEqualTo(10_000);
        assertThat(String.format(java.util.Locale.ROOT, "%.1f %.2f %.4f %d", m.meanWaitSeconds(),
                m.meanBoundedSlowdown(), m.utilisation(), m.makespanSeconds()))
                .isEqualTo("102417.7 526.60 0.9293 8797061");
        assertThat(digest(starts)).isEqualTo(EASY_DIGEST);
    }

    static final long FIFO_DIGEST = -2245893639400921838L;
    static final long EASY_DIGEST = -9159635293943685588L;
}
