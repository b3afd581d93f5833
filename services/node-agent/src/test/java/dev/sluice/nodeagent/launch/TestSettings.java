package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.job.Owner;
import dev.sluice.launcher.StepLauncher;
import dev.sluice.nodeagent.cgroup.CgroupDriver;
import dev.sluice.nodeagent.discovery.CpuList;
import dev.sluice.nodeagent.discovery.Gpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/** Supervisor settings as an agent on this host would use them: the real launcher and the host's cgroups. */
public final class TestSettings {
    /** The unprivileged user jobs run as in tests; every Debian system has it. */
    public static final Owner NOBODY = new Owner("nobody", 65534, 65534);

    private TestSettings() {
    }

    public static List<Integer> onlineCpus() {
        try {
            return CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online")).trim());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JobSupervisor.Settings of(String node, Path stateDir) {
        return of(node, stateDir, CgroupDriver.of("auto", Path.of("/sys/fs/cgroup")), Gpus.NONE, List.of());
    }

    public static JobSupervisor.Settings of(String node, Path stateDir, CgroupDriver cgroups, Gpus gpus,
                                            List<dev.sluice.launcher.StepLaunch.Rlimit> rlimits) {
        return new JobSupervisor.Settings(node, "c", stateDir, Duration.ofSeconds(30), System.getenv(),
                StepLauncher.locate(), cgroups, onlineCpus(), 0, gpus, rlimits, null, null);
    }

    /** A @TempDir is 0700 root: jobs running as nobody must be able to enter it and write their output. */
    public static void openToAll(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    }
}
