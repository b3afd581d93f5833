package dev.sluice.nodeagent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * cgroup v1: one hierarchy per controller under {@code <root>/<controller>}. The job gets
 * {@code <root>/<controller>/sluice/<node>/job_<id>} in each of cpuset, memory, pids, devices and cpuacct that the
 * host mounts.
 */
public final class CgroupV1 implements CgroupDriver {
    static final List<String> CONTROLLERS = List.of("cpuset", "memory", "pids", "devices", "cpuacct");
    private final Path root;
    private final java.util.Set<Path> prepared = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final String parent;

    public CgroupV1(Path root) {
        this(root, "sluice");
    }

    public CgroupV1(Path root, String parent) {
        this.root = root;
        this.parent = parent;
    }

    @Override
    public String version() {
        return "v1";
    }

    @Override
    public boolean constrainsDevices() {
        return mounted("devices");
    }

    private boolean mounted(String controller) {
        return Files.exists(root.resolve(controller).resolve("cgroup.procs"));
    }

    private Path jobDir(String controller, String node, long jobId) {
        return root.resolve(controller).resolve(parent).resolve(node).resolve("job_" + jobId);
    }

    @Override
    public JobCgroup create(String node, long jobId, Limits limits) throws IOException {
        Job job = (Job) existing(node, jobId);
        try {
            for (String c : job.controllers) {
                Path top = root.resolve(c);
                Path sluice = top.resolve(parent);
                Path nodeDir = sluice.resolve(node);
                Path dir = nodeDir.resolve("job_" + jobId);
                // once per node and hierarchy, and never half-done when a concurrent launch looks: a v1 cpuset
                // starts empty and takes no child CPUs until its parent has them
                synchronized (this) {
                    if (prepared.add(nodeDir)) {
                        mkdir(sluice);
                        mkdir(nodeDir);
                        if (c.equals("cpuset")) {
                            inherit(top, sluice, "cpuset.cpus");
                            inherit(top, sluice, "cpuset.mems");
                            inherit(sluice, nodeDir, "cpuset.cpus");
                            inherit(sluice, nodeDir, "cpuset.mems");
                        }
                    }
                }
                mkdir(dir);
                switch (c) {
                    case "cpuset" -> {
                        JobCgroup.write(dir.resolve("cpuset.cpus"), cpuList(limits.cpus()));
                        inherit(nodeDir, dir, "cpuset.mems");
                    }
                    case "memory" -> {
                        if (limits.memoryMb() > 0) {
                            String bytes = Long.toString(limits.memoryMb() * 1024 * 1024);
                            JobCgroup.write(dir.resolve("memory.limit_in_bytes"), bytes);
                            // no swapping past the limit: --mem is what the job may use, RAM and swap together
                            if (Files.exists(dir.resolve("memory.memsw.limit_in_bytes"))) {
                                JobCgroup.write(dir.resolve("memory.memsw.limit_in_bytes"), bytes);
                            }
                        }
                    }
                    case "pids" -> JobCgroup.write(dir.resolve("pids.max"),
                            limits.pidsMax() > 0 ? Long.toString(limits.pidsMax()) : "max");
                    case "devices" -> {
                        // everything the node allows stays allowed; only the GPUs of other jobs are refused
                        for (Path device : limits.deniedDevices()) {
                            JobCgroup.write(dir.resolve("devices.deny"), DeviceRule.of(device) + " rwm");
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            job.remove();
            prepared.clear(); // set the parents up again next time, in case someone removed them
            throw e;
        }
        return job;
    }

    @Override
    public JobCgroup existing(String node, long jobId) {
        List<String> controllers = CONTROLLERS.stream().filter(this::mounted).toList();
        List<Path> dirs = controllers.stream().map(c -> jobDir(c, node, jobId)).toList();
        return new Job(controllers, dirs);
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

    private static void inherit(Path parent, Path child, String file) throws IOException {
        Optional<String> mine = JobCgroup.read(child.resolve(file));
        if (mine.isEmpty() || mine.get().isEmpty()) {
            JobCgroup.write(child.resolve(file), JobCgroup.read(parent.resolve(file)).orElse(""));
        }
    }

    static String cpuList(List<Integer> cpus) {
        return cpus.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
    }

    private final class Job implements JobCgroup {
        final List<String> controllers;
        final List<Path> dirs;

        Job(List<String> controllers, List<Path> dirs) {
            this.controllers = controllers;
            this.dirs = dirs;
        }

        private Optional<Path> dir(String controller) {
            int i = controllers.indexOf(controller);
            return i < 0 ? Optional.empty() : Optional.of(dirs.get(i));
        }

        @Override
        public List<Path> procsFiles() {
            return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
        }

        @Override
        public long oomKills() {
            return dir("memory").map(d -> {
                // oom_kill (Linux 4.13+) counts kills; failcnt only says the limit was hit, which reclaim may absorb
                Optional<Long> kills = JobCgroup.keyed(d.resolve("memory.oom_control"), "oom_kill");
                if (kills.isPresent()) {
                    return kills.get();
                }
                return JobCgroup.read(d.resolve("memory.failcnt")).map(Long::parseLong).orElse(0L);
            }).orElse(0L);
        }

        @Override
        public Optional<CpuTime> cpuTime() {
            return dir("cpuacct").flatMap(d -> {
                Path stat = d.resolve("cpuacct.stat");
                Optional<Long> user = JobCgroup.keyed(stat, "user");
                Optional<Long> sys = JobCgroup.keyed(stat, "system");
                // USER_HZ ticks (100 per second on every Linux ABI in use)
                return user.isPresent() && sys.isPresent()
                        ? Optional.of(new CpuTime(user.get() * 10, sys.get() * 10)) : Optional.empty();
            });
        }

        @Override
        public Set<Long> pids() {
            return JobCgroup.pidsBelow(dirs);
        }

        @Override
        public boolean remove() {
            return JobCgroup.rmdirTree(new ArrayList<>(dirs));
        }

        @Override
        public List<Path> dirs() {
            return dirs;
        }

        @Override
        public JobCgroup child(String name) throws IOException {
            List<Path> children = new ArrayList<>();
            for (int i = 0; i < dirs.size(); i++) {
                Path child = dirs.get(i).resolve(name);
                mkdir(child);
                children.add(child);
                if (controllers.get(i).equals("cpuset")) {
                    // a v1 cpuset starts empty: the step's CPUs are the job's, each task binds to its own
                    inherit(dirs.get(i), child, "cpuset.cpus");
                    inherit(dirs.get(i), child, "cpuset.mems");
                }
            }
            return new JobCgroup.Step(children);
        }
    }
}
