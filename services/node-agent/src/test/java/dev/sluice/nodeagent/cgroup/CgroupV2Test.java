package dev.sluice.nodeagent.cgroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * cgroup v2 against a directory laid out like a cgroup2 mount (this host mounts v1). What the kernel would do with
 * the files is not simulated; what the agent writes and reads is checked.
 */
class CgroupV2Test {
    @TempDir
    Path root;

    @Test
    void autoDetectsV2ByItsRootControllersFile() throws IOException {
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        Files.writeString(root.resolve("cgroup.subtree_control"), "");
        assertThat(CgroupDriver.of("auto", root).version()).isEqualTo("v2");
        assertThat(CgroupDriver.of("auto", root.resolve("nothing-mounted")).version()).isEqualTo("none");
    }

    @Test
    void jobCgroupGetsItsCpusMemoryAndPidsWithControllersDelegatedDownToIt() throws IOException {
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
        JobCgroup job = new CgroupV2(root).create("n1", 42,
                new CgroupDriver.Limits(List.of(2, 3, 5), 100, 512, List.of()));
        Path dir = root.resolve("sluice/n1/job_42");
        assertThat(read(root.resolve("cgroup.subtree_control"))).isEqualTo("+cpuset +memory +pids");
        assertThat(read(root.resolve("sluice/cgroup.subtree_control"))).isEqualTo("+cpuset +memory +pids");
        assertThat(read(root.resolve("sluice/n1/cgroup.subtree_control"))).isEqualTo("+cpuset +memory +pids");
        assertThat(read(dir.resolve("cpuset.cpus"))).isEqualTo("2,3,5");
        assertThat(read(dir.resolve("memory.max"))).isEqualTo(Long.toString(100L * 1024 * 1024));
        assertThat(read(dir.resolve("pids.max"))).isEqualTo("512");
        assertThat(job.procsFiles()).containsExactly(dir.resolve("cgroup.procs"));
    }

    @Test
    void noMemoryLimitAndUnlimitedPidsWhenTheJobAsksForNone() throws IOException {
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset memory pids\n");
        new CgroupV2(root).create("n1", 7, new CgroupDriver.Limits(List.of(0), 0, 0, List.of()));
        Path dir = root.resolve("sluice/n1/job_7");
        assertThat(dir.resolve("memory.max")).doesNotExist();
        assertThat(read(dir.resolve("pids.max"))).isEqualTo("max");
    }

    @Test
    void onlyControllersTheHostOffersAreEnabled() throws IOException {
        Files.writeString(root.resolve("cgroup.controllers"), "cpu io memory\n");
        new CgroupV2(root).create("n1", 8, new CgroupDriver.Limits(List.of(0), 64, 10, List.of()));
        assertThat(read(root.resolve("cgroup.subtree_control"))).isEqualTo("+memory");
        assertThat(root.resolve("sluice/n1/job_8/cpuset.cpus")).doesNotExist();
    }

    @Test
    void outOfMemoryAndCpuTimeComeFromTheCgroupsCounters() throws IOException {
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset memory pids\n");
        JobCgroup job = new CgroupV2(root).create("n1", 9, new CgroupDriver.Limits(List.of(0), 100, 0, List.of()));
        Path dir = root.resolve("sluice/n1/job_9");
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n");
        assertThat(job.oomKills()).isZero();
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 31\noom 2\noom_kill 1\noom_group_kill 0\n");
        assertThat(job.oomKills()).isEqualTo(1);
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
        assertThat(job.cpuTime()).contains(new JobCgroup.CpuTime(2000, 500));
        Files.writeString(dir.resolve("cgroup.procs"), "123\n456\n");
        assertThat(job.pids()).containsExactly(123L, 456L);
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p).trim();
    }
}
