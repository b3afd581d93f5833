package dev.sluice.nodeagent.step;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Agent-side {@code --mpi=pmix} launch: from the step request to {@code finished} for a 2-rank Open MPI ring on one
 * node (cold helper JVM through sluice-stepd as nobody, MPI_Init, ring, Allreduce, MPI_Finalize), interleaved with
 * {@code mpirun.openmpi --oversubscribe -np 2} of the same program. Not a test: run with -Dsluice.bench=true.
 */
class PmixStepBench extends StepRunTest {
    @Test
    void pmixStepAgainstMpirun() throws Exception {
        assumeTrue(Boolean.getBoolean("sluice.bench"), "benchmark: run with -Dsluice.bench=true");
        Path ring = compile("/usr/bin/mpicc.openmpi", "openmpi-bin libopenmpi-dev libpmix-dev");
        assumeTrue(PmixLaunch.unavailable().isEmpty(), "pmix unavailable");
        int runs = Integer.getInteger("sluice.bench.runs", 5);
        long id = waitingJob();
        List<Long> step = new ArrayList<>();
        List<Long> mpirun = new ArrayList<>();
        for (int i = 0; i < runs + 1; i++) {
            long t0 = System.nanoTime();
            Collected s = run(id, new StepRequest(List.of(ring.toString()), Map.of("PATH", "/usr/bin:/bin"), null, 2,
                    null, null, null, null, null, null, null, "pmix", null, "sa", null, null));
            long t = System.nanoTime() - t0;
            assertThat(s.finished()).as(s.text("err")).containsEntry("state", "COMPLETED");
            t0 = System.nanoTime();
            Process p = new ProcessBuilder("/usr/bin/mpirun.openmpi", "--allow-run-as-root", "--oversubscribe",
                    "-np", "2", ring.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            long m = System.nanoTime() - t0;
            if (i >= 1) {
                step.add(t);
                mpirun.add(m);
            }
        }
        endJob(id);
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        String report = "2-rank Open MPI ring, --mpi=pmix step request to finished (agent side, cold helper, "
                + step.size() + " runs): median " + StepBench.median(step) + " ms, min " + StepBench.min(step)
                + " ms\nmpirun.openmpi --oversubscribe -np 2 ring (" + mpirun.size() + " runs, interleaved): median "
                + StepBench.median(mpirun) + " ms, min " + StepBench.min(mpirun) + " ms\nload average after: " + load
                + "\n";
        System.out.print(report);
        Files.writeString(Path.of("target/pmix-step-bench.txt"), report);
    }
}
