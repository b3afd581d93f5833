package dev.sluice.nodeagent.cgroup;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** cgroup v1 for real: the hierarchies this host mounts under /sys/fs/cgroup. */
class CgroupV1Test {
    static final Path ROOT = Path.of("/sys/fs/cgroup");

    @Test
    void jobCgroupIsConfiguredInEachHierarchyAndRemovedWhenEmpty() throws IOException {
        Assumptions.assumeTrue(Files.isWritable(ROOT.resolve("memory/cgroup.procs"))
                        && Files.exists(ROOT.resolve("cpuset/cpuset.cpus")),
                "needs writable cgroup v1 memory and cpuset hierarchies under /sys/fs/cgroup");
        long id = ProcessHandle.current().pid() * 1000 + 1;
        CgroupDriver v1 = CgroupDriver.of("auto", ROOT);
        assertThat(v1.version()).isEqualTo("v1");
        JobCgroup job = v1.create("unit-v1", id, new CgroupDriver.Limits(List.of(0), 64, 100, List.of()));
        try {
            Path mem = ROOT.resolve("memory/sluice/unit-v1/job_" + id);
            assertThat(Files.readString(mem.resolve("memory.limit_in_bytes")).trim())
                    .isEqualTo(Long.toString(64L * 1024 * 1024));
            assertThat(Files.readString(ROOT.resolve("cpuset/sluice/unit-v1/job_" + id + "/cpuset.cpus")).trim())
                    .isEqualTo("0");
            if (Files.exists(ROOT.resolve("pids/cgroup.procs"))) {
                assertThat(Files.readString(ROOT.resolve("pids/sluice/unit-v1/job_" + id + "/pids.max")).trim())
                        .isEqualTo("100");
            }
            assertThat(job.oomKills()).isZero();
            assertThat(job.pids()).isEmpty();
        } finally {
            assertThat(job.remove()).isTrue();
        }
        assertThat(ROOT.resolve("memory/sluice/unit-v1/job_" + id)).doesNotExist();
    }

    @Test
    void twoClustersOnOneHostKeepTheirSameNamedJobsApart() throws Exception {
        Assumptions.assumeTrue(Files.isWritable(ROOT.resolve("memory/cgroup.procs")),
                "needs a writable cgroup v1 memory hierarchy under /sys/fs/cgroup");
        long id = ProcessHandle.current().pid() * 1000 + 2;
        String a = "sluice-test-a" + ProcessHandle.current().pid();
        String b = "sluice-test-b" + ProcessHandle.current().pid();
        CgroupDriver.Limits limits = new CgroupDriver.Limits(List.of(0), 64, 0, List.of());
        JobCgroup jobA = CgroupDriver.of("auto", ROOT, a).create("node01", id, limits);
        JobCgroup jobB = CgroupDriver.of("auto", ROOT, b).create("node01", id, limits);
        Process inB = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(ROOT.resolve("memory/" + b + "/node01/job_" + id + "/cgroup.procs"),
                    Long.toString(inB.pid()));
            // cluster A's job 'id' on node01 ends: everything in its cgroup is killed, and nothing of cluster B's
            jobA.killAll();
            assertThat(jobA.remove()).isTrue();
            assertThat(inB.waitFor(1, java.util.concurrent.TimeUnit.SECONDS)).isFalse();
            assertThat(jobB.pids()).contains(inB.pid());
        } finally {
            inB.destroyForcibly().waitFor();
            for (int i = 0; i < 50 && !jobB.remove(); i++) {
                Thread.sleep(100);
            }
            for (String parent : List.of(a, b)) {
                for (String c : List.of("cpuset", "memory", "pids", "devices", "cpuacct")) {
                    Files.deleteIfExists(ROOT.resolve(c + "/" + parent + "/node01"));
                    Files.deleteIfExists(ROOT.resolve(c + "/" + parent));
                }
            }
        }
        assertThat(ROOT.resolve("memory/" + b + "/node01/job_" + id)).doesNotExist();
    }

    @Test
    void theParentIsOneFolderName() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CgroupDriver.of("auto", ROOT, "../x"))
                .hasMessageContaining("sluice.node.cgroup-parent must be one folder name");
    }
}
