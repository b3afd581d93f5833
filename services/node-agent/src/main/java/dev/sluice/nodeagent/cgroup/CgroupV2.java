package dev.sluice.nodeagent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * cgroup v2: one unified tree mounted at {@code root}. The job gets {@code <root>/sluice/<node>/job_<id>}, with the
 * cpuset, memory and pids controllers enabled down to it through each parent's {@code cgroup.subtree_control}.
 * <p>
 * Device confinement on v2 is an eBPF program attached to the cgroup, not a file: not done yet
 * ({@link #constrainsDevices()} is false, so jobs see GPUs by their node indices).
 */
public final class CgroupV2 implements CgroupDriver {
    static final List<String> WANTED = List.of("cpuset", "memory", "pids");
    private final Path root;
    private final java.util.Set<Path> prepared = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final String parent;

    public CgroupV2(Path root) {
        this(root, "sluice");
    }

    public CgroupV2(Path root, String parent) {
        this.root = root;
        this.parent = parent;
    }

    @Override
    public String version() {
        return "v2";
    }

    @Override
    public boolean constrainsDevices() {
        return false;
    }

    @Override
    public JobCgroup create(String node, long jobId, Limits limits) throws IOException {
        List<String> available = List.of(JobCgroup.read(root.resolve("cgroup.controllers")).orElse("").split("\\s+"));
        List<String> enable = WANTED.stream().filter(available::contains).toList();
        Path sluice = root.resolve(parent);
        Path nodeDir = sluice.resolve(node);
        Path dir = nodeDir.resolve("job_" + jobId);
        Job job = new Job(dir);
        try {
            // a controller reaches a cgroup only if every ancestor delegates it ("no internal processes" rule:
            // sluice/ and sluice/<node>/ hold no process themselves)
            String control = enable.stream().map(c -> "+" + c).collect(Collectors.joining(" "));
            synchronized (this) {
                if (prepared.add(nodeDir)) {
                    for (Path level : List.of(root, sluice, nodeDir)) {
                        if (level != root) {
                            mkdir(level);
                        }
                        if (!control.isEmpty()) {
                            JobCgroup.write(level.resolve("cgroup.subtree_control"), control);
                        }
                    }
                }
            }
            Files.createDirectory(dir);
            if (enable.contains("cpuset")) {
                JobCgroup.write(dir.resolve("cpuset.cpus"), CgroupV1.cpuList(limits.cpus()));
            }
            if (enable.contains("memory") && limits.memoryMb() > 0) {
                JobCgroup.write(dir.resolve("memory.max"), Long.toString(limits.memoryMb() * 1024 * 1024));
                if (Files.exists(dir.resolve("memory.swap.max"))) {
                    JobCgroup.write(dir.resolve("memory.swap.max"), "0");
                }
            }
            if (enable.contains("pids")) {
                JobCgroup.write(dir.resolve("pids.max"), limits.pidsMax() > 0 ? Long.toString(limits.pidsMax()) : "max");
            }
        } catch (IOException e) {
            job.remove();
            prepared.clear();
            throw e;
        }
        return job;
    }

    @Override
    public JobCgroup existing(String node, long jobId) {
        Path sluice = root.resolve(parent);
        return new Job(sluice.resolve(node).resolve("job_" + jobId));
    }

    private static void mkdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another agent on this host made it first
            }
        }
    }

    private static final class Job implements JobCgroup {
        final Path dir;

        Job(Path dir) {
            this.dir = dir;
        }

        @Override
        public List<Path> procsFiles() {
            return List.of(dir.resolve("cgroup.procs"));
        }

        @Override
        public long oomKills() {
            return JobCgroup.keyed(dir.resolve("memory.events"), "oom_kill").orElse(0L);
        }

        @Override
        public Optional<CpuTime> cpuTime() {
            Path stat = dir.resolve("cpu.stat");
            Optional<Long> user = JobCgroup.keyed(stat, "user_usec");
            Optional<Long> sys = JobCgroup.keyed(stat, "system_usec");
            return user.isPresent() && sys.isPresent()
                    ? Optional.of(new CpuTime(user.get() / 1000, sys.get() / 1000)) : Optional.empty();
        }

        @Override
        public Set<Long> pids() {
            return JobCgroup.pidsBelow(List.of(dir));
        }

        @Override
        public List<Path> dirs() {
            return List.of(dir);
        }

        @Override
        public JobCgroup child(String name) throws IOException {
            // no controllers enabled below the job ("no internal processes": the batch script lives in the job's
            // cgroup itself); the job's limits still cap the step, and cgroup.kill of the job reaches it
            Path child = dir.resolve(name);
            mkdir(child);
            return new JobCgroup.Step(List.of(child));
        }

        @Override
        public void killAll() {
            // Linux 5.14+: one write kills the whole subtree atomically, even processes forking meanwhile
            Path kill = dir.resolve("cgroup.kill");
            if (Files.exists(kill) && !pids().isEmpty()) {
                try {
                    JobCgroup.write(kill, "1");
                } catch (IOException e) {
                    // fall back to one SIGKILL per process
                }
            }
            JobCgroup.super.killAll();
        }

        @Override
        public boolean remove() {
            return JobCgroup.rmdirTree(List.of(dir));
        }
    }
}
