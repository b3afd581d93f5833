package dev.sluice.simulator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SimulationTest {
    /** Four CPUs: a 2-wide job runs long, a 4-wide one waits for it, a 2-wide short one can slip in. */
    static final List<Swf.TraceJob> TRACE = List.of(
            new Swf.TraceJob(1, 0, 1000, 2, -1),
            new Swf.TraceJob(2, 1, 100, 4, -1),
            new Swf.TraceJob(3, 2, 500, 2, -1));

    private static Simulation.Metrics run(String policy) {
        return Simulation.run(TRACE, new Simulation.Options(policy, 2, 2, new Simulation.Estimate.Actual()));
    }

    @Test
    void easyBackfillsTheShortJobWhereFifoMakesItWait() {
        Simulation.Metrics fifo = run("fifo");
        Simulation.Metrics easy = run("easy");

        // FIFO: job 2 starts at 1000, job 3 at 1100. EASY: job 3 starts at 2 and ends before job 1 does.
        assertThat(fifo.meanWaitSeconds()).isEqualTo((0 + 999 + 1098) / 3.0);
        assertThat(easy.meanWaitSeconds()).isEqualTo((0 + 999 + 0) / 3.0);
        assertThat(easy.makespanSeconds()).isEqualTo(1100);
        assertThat(fifo.makespanSeconds()).isEqualTo(1600);
        assertThat(easy.utilisation()).isGreaterThan(fifo.utilisation());
    }

    @Test
    void aJobWiderThanTheClusterIsSkippedNotWaitedFor() {
        Simulation.Metrics m = Simulation.run(List.of(new Swf.TraceJob(1, 0, 10, 5, -1)),
                new Simulation.Options("easy", 2, 2, new Simulation.Estimate.Actual()));

        assertThat(m.skipped()).isEqualTo(1);
    }

    @Test
    void readsStandardWorkloadFormat(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.swf");
        Files.writeString(f, """
                ; Version: 2
                1    5094 -1   12072  16 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1
                2    5170 -1       2   1 -1 -1  4 600 -1 1 -1 -1 -1 0 -1 -1 -1
                3    5171 -1      -1   1 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1
                """);

        assertThat(Swf.read(f)).containsExactly(new Swf.TraceJob(1, 5094, 12072, 16, -1),
                new Swf.TraceJob(2, 5170, 2, 4, 600));
    }

    @Test
    void limitsAreWholeMinutesRoundedUp() {
        Swf.TraceJob j = new Swf.TraceJob(1, 0, 61, 1, 3600);

        assertThat(Simulation.limitMinutes(j, new Simulation.Estimate.Actual())).isEqualTo(2);
        assertThat(Simulation.limitMinutes(j, new Simulation.Estimate.Factor(3))).isEqualTo(4);
        assertThat(Simulation.limitMinutes(j, new Simulation.Estimate.Trace())).isEqualTo(60);
    }
}
