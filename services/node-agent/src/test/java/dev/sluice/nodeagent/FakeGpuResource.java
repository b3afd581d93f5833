package dev.sluice.nodeagent;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Four fake GPUs: character devices with NVIDIA's major number 195 in a temp dir, made with mknod. No driver
 * answers them, so opening one the job may use fails with ENXIO ("No such device or address"), while the devices
 * cgroup refuses the others with EPERM ("Operation not permitted"): two errors a job can tell apart.
 */
public class FakeGpuResource implements QuarkusTestResourceLifecycleManager {
    public static volatile Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("sluice-fake-gpus");
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            for (int i = 0; i < 4; i++) {
                Process p = new ProcessBuilder("mknod", "-m", "666", dir.resolve("nvidia" + i).toString(), "c", "195",
                        Integer.toString(i)).inheritIO().start();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("mknod failed: the node agent tests need root");
                }
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return Map.of("sluice.node.gres", "gpu:h100:4", "sluice.node.gres-files", dir + "/nvidia[0-3]");
    }

    @Override
    public void stop() {
        TestFiles.deleteQuietly(dir);
    }
}
