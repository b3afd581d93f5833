package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.scheduler.core.config.Hostlist;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/** The environment of a batch script: the job's own variables, then the SLURM_* variables Slurm sets. */
public final class JobEnvironment {
    private JobEnvironment() {
    }

    /**
     * @param base the agent's environment, kept for what the job does not set (PATH on an empty spec.env);
     *             SLURM_* variables from it are dropped so an agent started inside a job cannot leak its own.
     */
    public static Map<String, String> build(Map<String, String> base, LaunchRequested launch, String node,
                                            String clusterName, String workDir) {
        Map<String, String> env = new LinkedHashMap<>();
        base.forEach((k, v) -> {
            if (!k.startsWith("SLURM")) {
                env.put(k, v);
            }
        });
        JobSpec spec = launch.spec();
        if (spec.env() != null) {
            env.putAll(spec.env());
        }
        Resources res = spec.resources() == null ? Resources.of(1, 1, null) : spec.resources();
        List<NodeAllocation> alloc = launch.allocation() == null || launch.allocation().isEmpty()
                ? List.of(new NodeAllocation(node, res.ntasksOrDefault(), List.of(), 0, List.of()))
                : launch.allocation();
        List<String> nodes = alloc.stream().map(NodeAllocation::node).toList();
        int totalTasks = alloc.stream().mapToInt(NodeAllocation::tasks).sum();
        String ntasks = Integer.toString(res.ntasks() != null ? res.ntasks() : Math.max(1, totalTasks));
        NodeAllocation mine = alloc.stream().filter(a -> a.node().equals(node)).findFirst().orElse(alloc.getFirst());
        int cpusOnNode = mine.cpuIds() == null || mine.cpuIds().isEmpty()
                ? res.ntasksOrDefault() * res.cpusPerTaskOrDefault() : mine.cpus();
        String jobId = Long.toString(launch.jobId());
        String nodelist = Hostlist.compress(nodes);

        env.put("SLURM_JOB_ID", jobId);
        env.put("SLURM_JOBID", jobId);
        env.put("SLURM_JOB_NAME", jobName(spec));
        env.put("SLURM_NTASKS", ntasks);
        env.put("SLURM_NPROCS", ntasks);
        env.put("SLURM_CPUS_PER_TASK", Integer.toString(res.cpusPerTaskOrDefault()));
        env.put("SLURM_JOB_NODELIST", nodelist);
        env.put("SLURM_NODELIST", nodelist);
        env.put("SLURM_NNODES", Integer.toString(nodes.size()));
        env.put("SLURM_JOB_NUM_NODES", Integer.toString(nodes.size()));
        env.put("SLURM_SUBMIT_DIR", workDir);
        if (spec.partition() != null) {
            env.put("SLURM_JOB_PARTITION", spec.partition());
        }
        if (spec.account() != null) {
            env.put("SLURM_JOB_ACCOUNT", spec.account());
        }
        env.put("SLURM_CLUSTER_NAME", clusterName);
        env.put("SLURMD_NODENAME", node);
        if (launch.owner() != null) {
            env.put("SLURM_JOB_USER", launch.owner().user());
            env.put("SLURM_JOB_UID", Integer.toString(launch.owner().uid()));
            env.put("SLURM_JOB_GID", Integer.toString(launch.owner().gid()));
        }
        env.put("SLURM_JOB_CPUS_PER_NODE", perNode(alloc, a -> a.cpuIds() == null || a.cpuIds().isEmpty()
                ? cpusOnNode : a.cpus()));
        env.put("SLURM_CPUS_ON_NODE", Integer.toString(cpusOnNode));
        if (res.memPerNodeMb() != null) {
            env.put("SLURM_MEM_PER_NODE", Long.toString(res.memPerNodeMb()));
        }
        if (res.memPerCpuMb() != null) {
            env.put("SLURM_MEM_PER_CPU", Long.toString(res.memPerCpuMb()));
        }
        env.put("SLURM_TASKS_PER_NODE", perNode(alloc, NodeAllocation::tasks));
        array(env, launch);
        return env;
    }

    /** An array task's variables, as Slurm sets them; nothing for a job that is not an array task. */
    static void array(Map<String, String> env, LaunchRequested launch) {
        if (launch.arrayJobId() == null || launch.arrayTaskId() == null) {
            return;
        }
        env.put("SLURM_ARRAY_JOB_ID", Long.toString(launch.arrayJobId()));
        env.put("SLURM_ARRAY_TASK_ID", Integer.toString(launch.arrayTaskId()));
        String spec = launch.spec() == null ? null : launch.spec().array();
        if (spec == null || spec.isBlank()) {
            return;
        }
        int[] ids = dev.sluice.scheduler.core.ArraySpec.parse(spec).ids().clone();
        java.util.Arrays.sort(ids);
        env.put("SLURM_ARRAY_TASK_COUNT", Integer.toString(ids.length));
        env.put("SLURM_ARRAY_TASK_MIN", Integer.toString(ids[0]));
        env.put("SLURM_ARRAY_TASK_MAX", Integer.toString(ids[ids.length - 1]));
        env.put("SLURM_ARRAY_TASK_STEP", Integer.toString(step(ids)));
    }

    /** The common distance of evenly spaced ids ({@code 0-15:4} gives 4); 1 otherwise, or for a single id. */
    private static int step(int[] sorted) {
        if (sorted.length < 2) {
            return 1;
        }
        int step = sorted[1] - sorted[0];
        for (int i = 2; i < sorted.length; i++) {
            if (sorted[i] - sorted[i - 1] != step) {
                return 1;
            }
        }
        return step;
    }

    public static String jobName(JobSpec spec) {
        return spec.name() == null || spec.name().isBlank() ? "sbatch" : spec.name();
    }

    /** Slurm's run-length form of per-node counts: 2,2,2,1 becomes {@code 2(x3),1}. */
    static String perNode(List<NodeAllocation> alloc, ToIntFunction<NodeAllocation> count) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < alloc.size()) {
            int value = count.applyAsInt(alloc.get(i));
            int run = 1;
            while (i + run < alloc.size() && count.applyAsInt(alloc.get(i + run)) == value) {
                run++;
            }
            parts.add(run == 1 ? Integer.toString(value) : value + "(x" + run + ")");
            i += run;
        }
        return String.join(",", parts);
    }
}
