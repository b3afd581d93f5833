package dev.sluice.runner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ./sluice down kills the processes left in the stack's cgroup folder, in every hierarchy, and nothing outside it
 * (a folder laid out like cgroupfs v1; on the real one the emptied folders are removed too).
 */
class JobCgroupsTest {
    @Test
    void killsTheProcessesInTheStacksFolderOnly(@TempDir Path root) throws Exception {
        Process ours = new ProcessBuilder("sleep", "300").start();
        Process other = new ProcessBuilder("sleep", "300").start();
        try {
            Path job = Files.createDirectories(root.resolve("pids/sluice-abc/node01/job_7"));
            Files.writeString(job.resolve("cgroup.procs"), ours.pid() + "\n");
            Path mem = Files.createDirectories(root.resolve("memory/sluice-abc/node01/job_7"));
            Files.writeString(mem.resolve("cgroup.procs"), ours.pid() + "\n");
            Path elsewhere = Files.createDirectories(root.resolve("pids/sluice-def/node01/job_7"));
            Files.writeString(elsewhere.resolve("cgroup.procs"), other.pid() + "\n");

            assertThat(JobCgroups.killAll(root, "sluice-abc")).isEqualTo(1);

            assertThat(ours.waitFor(10, TimeUnit.SECONDS)).as("the stack's job process is gone").isTrue();
            assertThat(other.isAlive()).as("another stack's job is left alone").isTrue();
            assertThat(JobCgroups.killAll(root, "sluice-none")).isZero();
        } finally {
            ours.destroyForcibly();
            other.destroyForcibly();
        }
    }
}
