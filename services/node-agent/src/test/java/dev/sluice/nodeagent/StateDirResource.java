package dev.sluice.nodeagent;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A fresh state dir per test run, so no job of an earlier run is adopted. */
public class StateDirResource implements QuarkusTestResourceLifecycleManager {
    public static volatile Path stateDir;

    @Override
    public Map<String, String> start() {
        try {
            stateDir = Files.createTempDirectory("sluice-node-state");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Map.of("sluice.node.state-dir", stateDir.toString());
    }

    @Override
    public void stop() {
        TestFiles.deleteQuietly(stateDir);
    }
}
