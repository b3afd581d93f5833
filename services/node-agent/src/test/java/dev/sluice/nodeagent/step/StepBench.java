package dev.sluice.nodeagent.step;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Agent-side launch overhead of a step: from the step request to {@code finished} for a 2-task {@code true} step
 * on one node (plan, step cgroup, two sluice-stepd as nobody, status files, StepFinished), next to
 * {@code mpirun.openmpi --oversubscribe -np 2 true}. Not a test: run with -Dsluice.bench=true (see the README).
 */
class StepBench extends StepRunTest {
    @Test
    void stepLaunchOverhead() throws Exception {
        assumeTrue(Boolean.getBoolean("sluice.bench"), "benchmark: run with -Dsluice.bench=true");
        int runs = Integer.getInteger("sluice.bench.runs", 20);
        long id = waitingJob();
        List<Long> step = new ArrayList<>();
        for (int i = 0; i < runs + 3; i++) {
            long t0 = System.nanoTime();
            Collected s = run(id, new StepRequest(List.of("true"), java.util.Map.of("PATH", "/usr/bin:/bin"), null, 2,
                    null, null, null, null, null, null, null, "none", null, "sa", null, null));
            long t = System.nanoTime() - t0;
            assertThat(s.finished()).containsEntry("state", "COMPLETED");
            if (i >= 3) {
                step.add(t);
            }
        }
        endJob(id);
        List<Long> mpirun = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/mpirun.openmpi"))) {
            for (int i = 0; i < runs / 2 + 1; i++) {
                long t0 = System.nanoTime();
                Process p = new ProcessBuilder("/usr/bin/mpirun.openmpi", "--allow-run-as-root", "--oversubscribe",
                        "-np", "2", "true").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                if (i >= 1) {
                    mpirun.add(System.nanoTime() - t0);
                }
            }
        }
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        String report = "2-task `true` step, request to finished (agent side, " + step.size() + " runs): median "
                + median(step) + " ms, min " + min(step) + " ms\n"
                + "mpirun.openmpi --oversubscribe -np 2 true (" + mpirun.size() + " runs): median " + median(mpirun)
                + " ms, min " + min(mpirun) + " ms\nload average after: " + load + "\n";
        System.out.print(report);
        Files.writeString(Path.of("target/step-bench.txt"), report);
    }

    static long median(List<Long> ns) {
        if (ns.isEmpty()) {
            return -1;
        }
        List<Long> s = ns.stream().sorted().toList();
        return s.get(s.size() / 2) / 1_000_000;
    }

    static long min(List<Long> ns) {
        return ns.stream().mapToLong(Long::longValue).min().orElse(-1_000_000) / 1_000_000;
    }
}
