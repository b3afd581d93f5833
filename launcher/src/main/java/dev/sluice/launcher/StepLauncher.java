package dev.sluice.launcher;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Starts steps through sluice-stepd. Typical use by the node agent:
 *
 * <pre>{@code
 * StepLauncher launcher = StepLauncher.locate();
 * Process p = launcher.start(StepLaunch.builder("/bin/sh", script)
 *         .environment(env).user(uid, gid, groups).workDir(dir)
 *         .stdout(out).stderr(err).statusFile(status).pidFile(pid).build());
 * int rc = p.waitFor();                  // 254 = setup error (see the status file's error)
 * StepStatus s = StepStatus.read(status); // exit code, signal, usage
 * }</pre>
 *
 * <p>{@code p.destroy()} sends SIGTERM to the launcher, which forwards it to the task's process group (status-file
 * mode); in direct mode the Process is the task itself.
 */
public final class StepLauncher {

    private final Path binary;

    /** Uses the given sluice-stepd binary. */
    public StepLauncher(Path binary) {
        this.binary = Objects.requireNonNull(binary, "binary");
    }

    /** Finds the binary as described in {@link LauncherBinary#locate()}. */
    public static StepLauncher locate() {
        return new StepLauncher(LauncherBinary.locate());
    }

    public Path binary() {
        return binary;
    }

    /** The exact command line this launcher would run for {@code launch}. */
    public List<String> command(StepLaunch launch) {
        return launch.command(binary);
    }

    /**
     * A ProcessBuilder for the launch, for callers that want to redirect the launcher's own streams. Its environment
     * is exactly {@link StepLaunch#environment()}: the caller's environment is cleared, not inherited.
     */
    public ProcessBuilder processBuilder(StepLaunch launch) {
        ProcessBuilder pb = new ProcessBuilder(launch.command(binary));
        pb.environment().clear();
        pb.environment().putAll(launch.environment());
        return pb;
    }

    /**
     * Starts the launcher. Its stdin/stdout/stderr are pipes (ProcessBuilder's default) unless the launch names files:
     * drain or close them, or use {@link #processBuilder(StepLaunch)} to redirect them.
     */
    public Process start(StepLaunch launch) throws IOException {
        return processBuilder(launch).start();
    }
}
