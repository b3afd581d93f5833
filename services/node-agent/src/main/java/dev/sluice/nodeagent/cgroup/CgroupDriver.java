package dev.sluice.nodeagent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Creates and finds the cgroups that confine one job: {@code sluice/<node>/job_<id>} below each hierarchy. v1
 * (one mount per controller, as on this project's build machines) and v2 (one unified tree, as on most production
 * clusters) differ only in file names and layout, so both live behind this interface.
 */
public sealed interface CgroupDriver permits CgroupV1, CgroupV2, CgroupDriver.None {

    /** What a job gets: its CPUs, memory (0 = no limit), pids (0 = no limit) and device files it must not open. */
    record Limits(List<Integer> cpus, long memoryMb, long pidsMax, List<Path> deniedDevices) {
        public Limits {
            cpus = List.copyOf(cpus);
            deniedDevices = List.copyOf(deniedDevices);
        }
    }

    /** "v1", "v2" or "none". */
    String version();

    /** True when {@link Limits#deniedDevices()} are really refused to the job's processes. */
    boolean constrainsDevices();

    JobCgroup create(String node, long jobId, Limits limits) throws IOException;

    /** The job's cgroup as a previous agent left it (for adopted and ended jobs after a restart). */
    JobCgroup existing(String node, long jobId);

    /**
     * @param mode {@code auto}, {@code v1}, {@code v2} or {@code none}
     * @param root where the hierarchies are mounted (the v2 mount itself, or the folder of the v1 mounts)
     */
    static CgroupDriver of(String mode, Path root) {
        return of(mode, root, "sluice");
    }

    /** @param parent the folder below the root for this cluster's nodes ({@code sluice.node.cgroup-parent}) */
    static CgroupDriver of(String mode, Path root, String parent) {
        if (parent.isBlank() || parent.contains("/") || parent.startsWith(".")) {
            throw new IllegalArgumentException("sluice.node.cgroup-parent must be one folder name, not " + parent);
        }
        return switch (mode) {
            case "none" -> new None();
            case "v1" -> new CgroupV1(root, parent);
            case "v2" -> new CgroupV2(root, parent);
            case "auto" -> {
                // only hierarchies this agent may change: an unprivileged agent (a developer's laptop) runs jobs
                // unconfined rather than failing every launch
                if (Files.exists(root.resolve("cgroup.controllers"))) {
                    yield Files.isWritable(root.resolve("cgroup.subtree_control")) ? new CgroupV2(root, parent)
                            : new None();
                }
                if (Files.isWritable(root.resolve("memory/cgroup.procs"))
                        || Files.isWritable(root.resolve("cpuset/cgroup.procs"))) {
                    yield new CgroupV1(root, parent);
                }
                yield new None();
            }
            default -> throw new IllegalArgumentException("sluice.node.cgroup.mode must be auto, v1, v2 or none, not "
                    + mode);
        };
    }

    /** No confinement (a host without writable cgroups): jobs still run, bound to their CPUs by affinity only. */
    final class None implements CgroupDriver {
        @Override
        public String version() {
            return "none";
        }

        @Override
        public boolean constrainsDevices() {
            return false;
        }

        @Override
        public JobCgroup create(String node, long jobId, Limits limits) {
            return JobCgroup.NONE;
        }

        @Override
        public JobCgroup existing(String node, long jobId) {
            return JobCgroup.NONE;
        }
    }
}
