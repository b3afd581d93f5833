package dev.sluice.nodeagent;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A fresh state dir per test run, so no job of an earlier run is adopted. */
public class StateDirResource implements QuarkusTestResourceLifecycleManager {
    public static volatile Path stateDir;
    private static volatile Path jobsDir;

    @Override
    public Map<String, String> start() {
        try {
            stateDir = Files.createTempDirectory("sluice-node-state");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // -Dsluice.bench.jobs-dir=/dev/shm: the job directories on tmpfs (NodeAgentBench, see docs/benchmarks.md)
        String jobsParent = System.getProperty("sluice.bench.jobs-dir", "");
        if (!jobsParent.isBlank()) {
            try {
                jobsDir = Files.createTempDirectory(Path.of(jobsParent), "sluice-node-jobs");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return Map.of("sluice.node.state-dir", stateDir.toString(), "sluice.node.jobs-dir", jobsDir.toString());
        }
        return Map.of("sluice.node.state-dir", stateDir.toString());
    }

    @Override
    public void stop() {
        TestFiles.deleteQuietly(stateDir);
        if (jobsDir != null) {
            TestFiles.deleteQuietly(jobsDir);
        }
    }
}
