package dev.sluice.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.launcher.StepLaunch.OpenMode;
import dev.sluice.launcher.StepLaunch.Resource;
import dev.sluice.launcher.StepLaunch.Rlimit;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real sluice-stepd. The suite runs as root (here and on CI); the cases that switch to {@code nobody}
 * (65534/65534) or touch cgroups skip with a stated assumption elsewhere.
 */
class StepLauncherTest {

    private static final int NOBODY = 65534;
    private static final int NOGROUP = 65534;
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "LANG", "C");

    @TempDir
    Path dir;

    private final StepLauncher launcher = StepLauncher.locate();
    private Path launcherLog;
    private Process running;
    private Path runningPidFile;

    @BeforeEach
    void openTheDirectoryToTheUnprivilegedUser() throws IOException {
        // The task runs as nobody in several cases and must be able to create its output files here.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        launcherLog = dir.resolve("launcher.log");
    }

    @AfterEach
    void killWhatATestLeftRunning() throws Exception {
        // A failed test must not leave a task looping on the machine.
        if (runningPidFile != null && Files.exists(runningPidFile)) {
            long pid = Long.parseLong(Files.readString(runningPidFile).strip());
            new ProcessBuilder("kill", "-KILL", "--", "-" + pid).start().waitFor(10, TimeUnit.SECONDS);
        }
        if (running != null && running.isAlive()) {
            running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ environment and process shape

    @Test
    void theTasksEnvironmentIsExactlyTheGivenMap() throws Exception {
        Path out = dir.resolve("env.out");
        Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "SLURM_JOB_ID", "42", "SPACED", "two words");

        int rc = run(StepLaunch.builder("/usr/bin/env").environment(env).stdout(out).build());

        assertThat(rc).isZero();
        assertThat(Files.readAllLines(out)).containsExactlyInAnyOrder(
                "PATH=/usr/bin:/bin", "SLURM_JOB_ID=42", "SPACED=two words");
    }

    @Test
    void withoutAStatusFileTheLauncherBecomesTheTask() throws Exception {
        Path out = dir.resolve("pid.out");
        Path pidFile = dir.resolve("task.pid");

        Process p = start(StepLaunch.builder("sh", "-c", "echo $$").environment(ENV).stdout(out).pidFile(pidFile)
                .build());
        int rc = await(p);

        assertThat(rc).isZero();
        assertThat(Files.readString(out).strip()).isEqualTo(Long.toString(p.pid()));
        assertThat(Files.readString(pidFile).strip()).isEqualTo(Long.toString(p.pid()));
    }

    @Test
    void withAStatusFileTheLauncherStaysAsParentAndThePidFileNamesTheTaskSessionLeader() throws Exception {
        Path out = dir.resolve("pid.out");
        Path pidFile = dir.resolve("task.pid");

        Process p = start(StepLaunch.builder("sh", "-c", "echo $$; cut -d' ' -f6 /proc/$$/stat").environment(ENV).stdout(out)
                .pidFile(pidFile).statusFile(dir.resolve("status")).build());
        int rc = await(p);

        assertThat(rc).isZero();
        List<String> lines = Files.readAllLines(out).stream().map(String::strip).toList();
        String taskPid = lines.get(0);
        assertThat(taskPid).isNotEqualTo(Long.toString(p.pid()));
        assertThat(lines.get(1)).as("the task leads its own session").isEqualTo(taskPid);
        assertThat(Files.readString(pidFile).strip()).isEqualTo(taskPid);
    }

    @Test
    void setsidInStatusFileModeDetachesTheSupervisorToo() throws Exception {
        Path out = dir.resolve("sid.out");

        Process p = start(StepLaunch.builder("sh", "-c", "cut -d' ' -f6 /proc/$PPID/stat").environment(ENV)
                .stdout(out).setsid(true).statusFile(dir.resolve("status")).build());
        int rc = await(p);

        assertThat(rc).isZero();
        assertThat(Files.readString(out).strip()).as("session of the launcher").isEqualTo(Long.toString(p.pid()));
    }

    // ------------------------------------------------------------------ status file

    @Test
    void theStatusFileReportsTheExitCode() throws Exception {
        Path status = dir.resolve("status");

        int rc = run(StepLaunch.builder("sh", "-c", "exit 3").environment(ENV).statusFile(status).build());

        assertThat(rc).isEqualTo(3);
        StepStatus s = StepStatus.read(status);
        assertThat(s.exitCode()).isEqualTo(3);
        assertThat(s.signal()).isZero();
        assertThat(s.setupFailed()).isFalse();
        assertThat(s.maxRssKb()).isPositive();
        assertThat(Files.readString(status)).matches(
                "exit_code=3 signal=0 user_ms=\\d+ system_ms=\\d+ max_rss_kb=\\d+\n");
    }

    @Test
    void theStatusFileReportsTheSignalThatKilledTheTask() throws Exception {
        Path status = dir.resolve("status");

        int rc = run(StepLaunch.builder("sh", "-c", "kill -KILL $$").environment(ENV).statusFile(status).build());

        assertThat(rc).isEqualTo(128 + 9);
        StepStatus s = StepStatus.read(status);
        assertThat(s.signal()).isEqualTo(9);
        assertThat(s.exitCode()).isZero();
    }

    @Test
    void theStatusFileCountsTheCpuTimeOfTheWholeTaskTree() throws Exception {
        Path status = dir.resolve("status");
        // A second of busy loop in a grandchild (timeout -> sh): only counted if usage of the waited tree is summed.
        String busySecond = "timeout 1 sh -c 'while :; do :; done'; exit 0";

        int rc = run(StepLaunch.builder("sh", "-c", busySecond).environment(ENV).statusFile(status).build());

        assertThat(rc).isZero();
        assertThat(StepStatus.read(status).userMs()).isPositive();
    }

    @Test
    void sigtermToTheLauncherReachesATaskThatTrapsIt() throws Exception {
        Path out = dir.resolve("trap.out");
        Path status = dir.resolve("status");
        runningPidFile = dir.resolve("task.pid");
        String script = "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done";

        running = start(StepLaunch.builder("sh", "-c", script).environment(ENV).stdout(out).statusFile(status)
                .pidFile(runningPidFile).build());
        awaitLine(out, "ready");
        running.destroy(); // SIGTERM to the launcher only
        int rc = await(running);

        assertThat(Files.readAllLines(out)).containsExactly("ready", "got TERM");
        assertThat(rc).isZero();
        assertThat(StepStatus.read(status)).extracting(StepStatus::exitCode, StepStatus::signal).containsExactly(0, 0);
    }

    @Test
    void sigtermToTheLauncherEndsATaskThatDoesNotTrapIt() throws Exception {
        Path out = dir.resolve("loop.out");
        Path status = dir.resolve("status");
        runningPidFile = dir.resolve("task.pid");

        running = start(StepLaunch.builder("sh", "-c", "echo ready; while :; do sleep 0.1; done").environment(ENV)
                .stdout(out).statusFile(status).pidFile(runningPidFile).build());
        awaitLine(out, "ready");
        running.destroy();
        int rc = await(running);

        assertThat(rc).isEqualTo(128 + 15);
        assertThat(StepStatus.read(status).signal()).isEqualTo(15);
    }

    // ------------------------------------------------------------------ setup errors

    @Test
    void aMissingWorkingDirectoryIsASetupErrorReportedInTheJobsErrorFile() throws Exception {
        Path err = dir.resolve("job.err");
        Path status = dir.resolve("status");
        Path missing = dir.resolve("no-such-dir");

        int rc = run(StepLaunch.builder("true").environment(ENV).stderr(err).workDir(missing).statusFile(status)
                .build());

        assertThat(rc).isEqualTo(StepStatus.SETUP_ERROR);
        assertThat(Files.readAllLines(err)).containsExactly(
                "sluice-stepd: error: cannot chdir to " + missing + ": No such file or directory");
        StepStatus s = StepStatus.read(status);
        assertThat(s.exitCode()).isEqualTo(254);
        assertThat(s.error()).contains("cannot chdir to " + missing + ": No such file or directory");
    }

    @Test
    void aMissingWorkingDirectoryWithoutStatusFileStillExits254() throws Exception {
        Path err = dir.resolve("job.err");

        int rc = run(StepLaunch.builder("true").environment(ENV).stderr(err).workDir(dir.resolve("gone")).build());

        assertThat(rc).isEqualTo(254);
        assertThat(Files.readString(err)).startsWith("sluice-stepd: error: cannot chdir to ");
    }

    @Test
    void aProgramThatCannotBeExecutedIsASetupError() throws Exception {
        Path status = dir.resolve("status");

        int rc = run(StepLaunch.builder("/nonexistent/prog").environment(ENV).statusFile(status).build());

        assertThat(rc).isEqualTo(254);
        assertThat(StepStatus.read(status).error())
                .contains("cannot execute /nonexistent/prog: No such file or directory");
        assertThat(Files.readString(launcherLog))
                .isEqualTo("sluice-stepd: error: cannot execute /nonexistent/prog: No such file or directory\n");
    }

    @Test
    void aBadOptionIsReportedThroughTheStatusFileToo() throws Exception {
        Path status = dir.resolve("status");
        List<String> cmd = List.of(launcher.binary().toString(), "--status-file", status.toString(),
                "--rlimit", "bogus=1", "--", "true");

        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(launcherLog.toFile()).start();

        assertThat(await(p)).isEqualTo(254);
        assertThat(StepStatus.read(status).error()).contains("--rlimit: unknown limit name in 'bogus=1'");
    }

    // ------------------------------------------------------------------ output files

    @Test
    void stdoutAndStderrMayShareOneFileAndAppendKeepsEarlierOutput() throws Exception {
        Path out = dir.resolve("both.out");
        Files.writeString(out, "earlier\n");

        int rc = run(StepLaunch.builder("sh", "-c", "echo out; echo err >&2; echo out2").environment(ENV)
                .stdout(out).stderr(out).openMode(OpenMode.APPEND).build());

        assertThat(rc).isZero();
        assertThat(Files.readAllLines(out)).containsExactly("earlier", "out", "err", "out2");
    }

    @Test
    void truncateReplacesTheFileAndRelativePathsAreRelativeToTheWorkingDirectory() throws Exception {
        Files.writeString(dir.resolve("rel.out"), "old content that is longer\n");

        int rc = run(StepLaunch.builder("echo", "new").environment(ENV).workDir(dir).stdout(Path.of("rel.out"))
                .openMode(OpenMode.TRUNCATE).build());

        assertThat(rc).isZero();
        assertThat(Files.readString(dir.resolve("rel.out"))).isEqualTo("new\n");
    }

    @Test
    void theUmaskAppliesToTheOutputFiles() throws Exception {
        Path out = dir.resolve("private.out");

        int rc = run(StepLaunch.builder("true").environment(ENV).stdout(out).umask(077).build());

        assertThat(rc).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-------");
    }

    @Test
    void stdinIsReadFromTheGivenFile() throws Exception {
        Path in = dir.resolve("in.txt");
        Path out = dir.resolve("cat.out");
        Files.writeString(in, "from stdin\n");

        int rc = run(StepLaunch.builder("cat").environment(ENV).stdin(in).stdout(out).build());

        assertThat(rc).isZero();
        assertThat(Files.readString(out)).isEqualTo("from stdin\n");
    }

    // ------------------------------------------------------------------ identity

    @Test
    void theTaskRunsAsTheGivenUserAndItsOutputFileBelongsToThatUser() throws Exception {
        assumeRoot();
        Path out = dir.resolve("id.out");

        int rc = run(StepLaunch.builder("sh", "-c", "id -u; id -g; id -G").environment(ENV)
                .user(NOBODY, NOGROUP, List.of(NOGROUP)).stdout(out).statusFile(dir.resolve("status")).build());

        assertThat(rc).isZero();
        assertThat(Files.readAllLines(out)).containsExactly("65534", "65534", "65534");
        assertThat(Files.getAttribute(out, "unix:uid")).isEqualTo(NOBODY);
        assertThat(Files.getAttribute(out, "unix:gid")).isEqualTo(NOGROUP);
    }

    @Test
    void withoutAGroupListTheTaskKeepsNoneOfTheCallersSupplementaryGroups() throws Exception {
        assumeRoot();
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux) to give the caller groups");
        Path out = dir.resolve("groups.out");
        StepLaunch launch = StepLaunch.builder("id", "-G").environment(ENV).uid(NOBODY).gid(NOGROUP).stdout(out).build();
        // The caller (like a root node agent) holds supplementary groups 0 and 27 that must not leak into the task.
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/setpriv", "--groups", "0,27", "--"));
        cmd.addAll(launcher.command(launch));

        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(launcherLog.toFile()).start();

        assertThat(await(p)).isZero();
        assertThat(Files.readString(out).strip()).isEqualTo("65534");
    }

    @Test
    void outputFilesAreOpenedWithTheUsersPermissions() throws Exception {
        assumeRoot();
        Path rootOnly = dir.resolve("root-only");
        Files.createDirectory(rootOnly, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path out = rootOnly.resolve("job.out");

        int rc = run(StepLaunch.builder("true").environment(ENV).uid(NOBODY).gid(NOGROUP).stdout(out).build());

        assertThat(rc).isEqualTo(254);
        assertThat(out).doesNotExist();
        assertThat(Files.readString(launcherLog))
                .isEqualTo("sluice-stepd: error: cannot open stdout file " + out + ": Permission denied\n");
    }

    // ------------------------------------------------------------------ affinity and limits

    @Test
    void cpusRestrictTheTasksAffinity() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() > 1,
                "needs more than one CPU: with one CPU, --cpus 0 would not change anything");
        Path out = dir.resolve("cpus.out");

        int rc = run(StepLaunch.builder("grep", "Cpus_allowed_list", "/proc/self/status").environment(ENV)
                .cpus("0").stdout(out).build());

        assertThat(rc).isZero();
        assertThat(Files.readString(out)).isEqualTo("Cpus_allowed_list:\t0\n");
    }

    @Test
    void anRlimitSetBeforeTheUserSwitchIsInheritedByWhatTheTaskStarts() throws Exception {
        Path out = dir.resolve("ulimit.out");
        StepLaunch.Builder b = StepLaunch.builder("sh", "-c", "ulimit -l; sh -c 'ulimit -l'").environment(ENV)
                .rlimit(Rlimit.of(Resource.MEMLOCK, 64 * 1024)).stdout(out);
        if (isRoot()) {
            b.user(NOBODY, NOGROUP, List.of(NOGROUP));
        }

        int rc = run(b.build());

        assertThat(rc).isZero();
        assertThat(Files.readAllLines(out)).containsExactly("64", "64");
    }

    @Test
    void memlockUnlimitedReachesTheBatchScriptAndWhatItStarts() throws Exception {
        // The seeds' EFA case: libfabric in the MPI ranks a batch script starts needs an unlimited memlock.
        assumeTrue(canRaiseMemlockToUnlimited(),
                "needs CAP_SYS_RESOURCE or an unlimited hard memlock limit (this sandbox has neither)");
        Path out = dir.resolve("ulimit.out");
        StepLaunch.Builder b = StepLaunch.builder("sh", "-c", "ulimit -l; sh -c 'ulimit -l'").environment(ENV)
                .rlimit(Rlimit.parse("memlock=unlimited")).stdout(out);
        if (isRoot()) {
            b.user(NOBODY, NOGROUP, List.of(NOGROUP));
        }

        int rc = run(b.build());

        assertThat(rc).isZero();
        assertThat(Files.readAllLines(out)).containsExactly("unlimited", "unlimited");
    }

    // ------------------------------------------------------------------ cgroups

    @Test
    void theTaskJoinsTheGivenCgroupsBeforeDroppingPrivileges() throws Exception {
        assumeRoot();
        Path cpusetRoot = Path.of("/sys/fs/cgroup/cpuset");
        Path memoryRoot = Path.of("/sys/fs/cgroup/memory");
        assumeTrue(Files.isDirectory(cpusetRoot) && Files.isWritable(cpusetRoot)
                        && Files.isDirectory(memoryRoot) && Files.isWritable(memoryRoot),
                "needs writable cgroup v1 cpuset and memory hierarchies under /sys/fs/cgroup");
        String name = "sluice-test-" + UUID.randomUUID().toString().substring(0, 8);
        Path cpuset = cpusetRoot.resolve(name);
        Path memory = memoryRoot.resolve(name);
        try {
            Files.createDirectory(cpuset);
            // A v1 cpuset accepts no task until it has cpus and mems.
            Files.writeString(cpuset.resolve("cpuset.cpus"), Files.readString(cpusetRoot.resolve("cpuset.cpus")));
            Files.writeString(cpuset.resolve("cpuset.mems"), Files.readString(cpusetRoot.resolve("cpuset.mems")));
            Files.createDirectory(memory);
            Path out = dir.resolve("cgroup.out");

            int rc = run(StepLaunch.builder("cat", "/proc/self/cgroup").environment(ENV)
                    .user(NOBODY, NOGROUP, List.of(NOGROUP))
                    .cgroupProcs(cpuset.resolve("cgroup.procs")).cgroupProcs(memory.resolve("cgroup.procs"))
                    .stdout(out).statusFile(dir.resolve("status")).build());

            assertThat(rc).isZero();
            assertThat(Files.readAllLines(out))
                    .anySatisfy(l -> assertThat(l).matches("\\d+:cpuset:/" + name))
                    .anySatisfy(l -> assertThat(l).matches("\\d+:memory:/" + name));
        } finally {
            // rmdir works once the cgroup is empty, which it is after the task ended (the launcher never joined).
            Files.deleteIfExists(cpuset);
            Files.deleteIfExists(memory);
        }
    }

    @Test
    void aCgroupFileThatCannotBeWrittenIsASetupError() throws Exception {
        Path status = dir.resolve("status");
        Path missing = dir.resolve("no-cgroup/cgroup.procs");

        int rc = run(StepLaunch.builder("true").environment(ENV).cgroupProcs(missing).statusFile(status).build());

        assertThat(rc).isEqualTo(254);
        assertThat(StepStatus.read(status).error())
                .contains("cannot open cgroup file " + missing + ": No such file or directory");
    }

    // ------------------------------------------------------------------ helpers

    private Process start(StepLaunch launch) throws IOException {
        return launcher.processBuilder(launch)
                .redirectInput(new File("/dev/null"))
                .redirectErrorStream(true)
                .redirectOutput(launcherLog.toFile())
                .start();
    }

    private int run(StepLaunch launch) throws Exception {
        return await(start(launch));
    }

    private static int await(Process p) throws InterruptedException {
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
        return p.exitValue();
    }

    private static void awaitLine(Path file, String line) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!(Files.exists(file) && Files.readAllLines(file).contains(line))) {
            assertThat(Instant.now()).as("'%s' appeared in %s", line, file).isBefore(deadline);
            Thread.sleep(20);
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:"))
                .anyMatch(l -> l.split("\\s+")[2].equals("0"));
    }

    private static void assumeRoot() throws IOException {
        assumeTrue(isRoot(), "switching users needs root (the suite runs as root on the build machines and CI)");
    }

    private static boolean canRaiseMemlockToUnlimited() throws IOException {
        boolean hardUnlimited = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max locked memory"))
                .anyMatch(l -> l.substring("Max locked memory".length()).trim().split("\\s+")[1].equals("unlimited"));
        long capEff = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("CapEff:"))
                .mapToLong(l -> Long.parseUnsignedLong(l.substring("CapEff:".length()).trim(), 16))
                .findFirst().orElse(0);
        boolean capSysResource = (capEff & (1L << 24)) != 0;
        return hardUnlimited || capSysResource;
    }
}
