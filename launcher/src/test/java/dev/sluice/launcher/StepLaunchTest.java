package dev.sluice.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.launcher.StepLaunch.OpenMode;
import dev.sluice.launcher.StepLaunch.Resource;
import dev.sluice.launcher.StepLaunch.Rlimit;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepLaunchTest {

    @Test
    void rendersEveryOptionBeforeTheSeparatorAndTheArgvAfterIt() {
        StepLaunch launch = StepLaunch.builder("/bin/sh", "-c", "echo hi")
                .user(1000, 100, List.of(100, 27))
                .cgroupProcs(Path.of("/sys/fs/cgroup/cpuset/job_1/cgroup.procs"))
                .cgroupProcs(Path.of("/sys/fs/cgroup/memory/job_1/cgroup.procs"))
                .cpus(List.of(0, 1, 2, 3, 6))
                .rlimit(Rlimit.of(Resource.MEMLOCK, Rlimit.UNLIMITED))
                .rlimit(Rlimit.of(Resource.NOFILE, 1024, 4096))
                .umask(022)
                .stdin(Path.of("/dev/null"))
                .stdout(Path.of("/home/u/slurm-1.out"))
                .stderr(Path.of("/home/u/slurm-1.out"))
                .openMode(OpenMode.APPEND)
                .setsid(true)
                .workDir(Path.of("/home/u"))
                .statusFile(Path.of("/var/spool/sluice/1.status"))
                .pidFile(Path.of("/var/spool/sluice/1.pid"))
                .build();

        assertThat(launch.command(Path.of("/opt/sluice/sluice-stepd"))).containsExactly(
                "/opt/sluice/sluice-stepd",
                "--uid", "1000", "--gid", "100", "--groups", "100,27",
                "--cgroup-procs", "/sys/fs/cgroup/cpuset/job_1/cgroup.procs",
                "--cgroup-procs", "/sys/fs/cgroup/memory/job_1/cgroup.procs",
                "--cpus", "0-3,6",
                "--rlimit", "memlock=unlimited", "--rlimit", "nofile=1024:4096",
                "--umask", "0022",
                "--stdin", "/dev/null", "--stdout", "/home/u/slurm-1.out", "--stderr", "/home/u/slurm-1.out",
                "--open-mode", "append", "--setsid", "--chdir", "/home/u",
                "--status-file", "/var/spool/sluice/1.status", "--pid-file", "/var/spool/sluice/1.pid",
                "--", "/bin/sh", "-c", "echo hi");
    }

    @Test
    void withoutOptionsOnlyTheSeparatorPrecedesTheProgram() {
        assertThat(StepLaunch.builder("true").build().command(Path.of("stepd"))).containsExactly("stepd", "--", "true");
    }

    @Test
    void anEmptyGroupListIsRenderedAsAnEmptyArgumentNotOmitted() {
        StepLaunch launch = StepLaunch.builder("true").user(1000, 100, List.of()).build();
        assertThat(launch.command(Path.of("stepd"))).containsExactly("stepd", "--uid", "1000", "--gid", "100",
                "--groups", "", "--", "true");
    }

    @Test
    void theEnvironmentIsACopyOfExactlyWhatWasGiven() {
        var env = new java.util.HashMap<>(Map.of("A", "1"));
        StepLaunch launch = StepLaunch.builder("env").environment(env).build();
        env.put("B", "2");
        assertThat(launch.environment()).containsExactly(Map.entry("A", "1"));
    }

    @Test
    void rejectsWhatTheLauncherWouldRefuse() {
        assertThatThrownBy(() -> StepLaunch.builder().build()).hasMessageContaining("needs a program");
        assertThatThrownBy(() -> StepLaunch.builder("true").uid(1000).build()).hasMessageContaining("uid needs gid");
        assertThatThrownBy(() -> StepLaunch.builder("true").cpus("0-").build()).hasMessageContaining("bad cpu list");
        assertThatThrownBy(() -> StepLaunch.builder("true").cpus("3-1").build()).hasMessageContaining("bad cpu list");
        assertThatThrownBy(() -> StepLaunch.builder("true").cpus("1024").build()).hasMessageContaining("bad cpu list");
        assertThatThrownBy(() -> StepLaunch.builder("true").umask(01000).build()).hasMessageContaining("umask");
        assertThatThrownBy(() -> Rlimit.of(Resource.NOFILE, 10, 5)).hasMessageContaining("soft limit above hard");
        assertThatThrownBy(() -> Rlimit.of(Resource.NOFILE, Rlimit.UNLIMITED, 5)).hasMessageContaining("above hard");
        assertThatThrownBy(() -> Rlimit.parse("bogus=1")).hasMessageContaining("unknown resource limit 'bogus'");
    }

    @Test
    void rlimitsParseAndRenderInTheLaunchersSyntax() {
        assertThat(Rlimit.parse("memlock=unlimited")).isEqualTo(Rlimit.of(Resource.MEMLOCK, Rlimit.UNLIMITED));
        assertThat(Rlimit.parse("nofile=1024:unlimited").toString()).isEqualTo("nofile=1024:unlimited");
        assertThat(Rlimit.parse("core=0:0")).isEqualTo(Rlimit.of(Resource.CORE, 0, 0));
    }
}
