package dev.sluice.scheduler.core;

/**
 * What a job asks for, in sbatch's terms; null means "not given" and Slurm's defaults apply through the
 * {@code effective...} methods.
 *
 * @param nodesMin      {@code -N min}
 * @param nodesMax      {@code -N min-max}
 * @param ntasks        {@code -n}
 * @param ntasksPerNode {@code --ntasks-per-node}
 * @param cpusPerTask   {@code -c}
 * @param memPerNodeMb  {@code --mem}
 * @param memPerCpuMb   {@code --mem-per-cpu}
 * @param timeLimitMinutes {@code --time}; null means the partition's default
 * @param exclusive        {@code --exclusive}: whole nodes, all their CPUs, shared with no other job
 * @param account          {@code --account}; null is the user's default association
 * @param qos              {@code --qos}; null is the association's default ({@code normal})
 * @param nice             {@code --nice}: subtracted from the priority; null is 0
 * @param gpusPerNode      {@code --gres=gpu[:type]:N} (or {@code --gpus-per-node}); null is none
 * @param gpuType          the type in {@code --gres=gpu:type:N}, {@code --gpus=type:N} or
 *                         {@code --gpus-per-task=type:N}; null takes any type
 * @param dependency       {@code --dependency} as Slurm writes it: {@code afterok:12:13,afterany:14} (all must
 *                         hold), {@code afterok:12?afterok:13} (any one), {@code singleton}; parsed by
 *                         {@link Dependency#parse}, bad syntax rejected at submit with Slurm's words
 * @param beginTime        {@code --begin}: not eligible before it (reason {@code BeginTime})
 * @param requeue          {@code --requeue} (true) / {@code --no-requeue} (false); null is Slurm's default
 *                         (JobRequeue=1: requeue on node failure)
 * @param nodeList         {@code -w}: a hostlist expression ({@code n[1-3],g1}) of nodes that must all be used
 * @param excludeNodes     {@code -x}: a hostlist expression of nodes never to use
 * @param constraint       {@code -C}: node features, {@code a&b} (all) or {@code a|b} (any); a node's features are
 *                         its {@code Features=} in the NodeName line
 * @param gpusTotal        {@code --gpus=[type:]N}: GPUs across the whole job
 * @param gpusPerTask      {@code --gpus-per-task=[type:]N}
 * @param memPerGpuMb      {@code --mem-per-gpu}: memory per allocated GPU on each node
 * @param distribution     {@code -m block|cyclic} (the first level); null is block
 * @param array            {@code --array}: {@code 0-15:2%4}, {@code 1,3,5}, {@code 1-7%2}; null is no array
 * @param name             {@code -J}: the job name, which {@code --dependency=singleton} compares
 */
public record JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                         Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes,
                         Boolean exclusive, String account, String qos, Integer nice, Integer gpusPerNode,
                         String gpuType, String dependency, java.time.Instant beginTime, Boolean requeue,
                         String nodeList, String excludeNodes, String constraint, Integer gpusTotal,
                         Integer gpusPerTask, Long memPerGpuMb, String distribution, String array,
                         String name) {

    /** The 14 components this record had before the issue-3 fields: those are null. */
    public JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                      Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes,
                      Boolean exclusive, String account, String qos, Integer nice, Integer gpusPerNode,
                      String gpuType) {
        this(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb, timeLimitMinutes,
                exclusive, account, qos, nice, gpusPerNode, gpuType, null, null, null, null, null, null, null, null,
                null, null, null, null);
    }

    /**
     * The 25 components before {@code name} was added.
     */
    public JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                      Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes,
                      Boolean exclusive, String account, String qos, Integer nice, Integer gpusPerNode,
                      String gpuType, String dependency, java.time.Instant beginTime, Boolean requeue,
                      String nodeList, String excludeNodes, String constraint, Integer gpusTotal,
                      Integer gpusPerTask, Long memPerGpuMb, String distribution, String array) {
        this(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb, timeLimitMinutes,
                exclusive, account, qos, nice, gpusPerNode, gpuType, dependency, beginTime, requeue, nodeList,
                excludeNodes, constraint, gpusTotal, gpusPerTask, memPerGpuMb, distribution, array, null);
    }

    /** A mutable copy, for the withers: one place that lists every component. */
    private static final class B {
        Integer nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, timeLimitMinutes, nice, gpusPerNode,
                gpusTotal, gpusPerTask;
        Long memPerNodeMb, memPerCpuMb, memPerGpuMb;
        Boolean exclusive, requeue;
        String account, qos, gpuType, dependency, nodeList, excludeNodes, constraint, distribution, array, name;
        java.time.Instant beginTime;

        B(JobRequest r) {
            nodesMin = r.nodesMin; nodesMax = r.nodesMax; ntasks = r.ntasks; ntasksPerNode = r.ntasksPerNode;
            cpusPerTask = r.cpusPerTask; memPerNodeMb = r.memPerNodeMb; memPerCpuMb = r.memPerCpuMb;
            timeLimitMinutes = r.timeLimitMinutes; exclusive = r.exclusive; account = r.account; qos = r.qos;
            nice = r.nice; gpusPerNode = r.gpusPerNode; gpuType = r.gpuType; dependency = r.dependency;
            beginTime = r.beginTime; requeue = r.requeue; nodeList = r.nodeList; excludeNodes = r.excludeNodes;
            constraint = r.constraint; gpusTotal = r.gpusTotal; gpusPerTask = r.gpusPerTask;
            memPerGpuMb = r.memPerGpuMb; distribution = r.distribution; array = r.array;
            name = r.name;
        }

        JobRequest build() {
            return new JobRequest(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb,
                    timeLimitMinutes, exclusive, account, qos, nice, gpusPerNode, gpuType, dependency, beginTime,
                    requeue, nodeList, excludeNodes, constraint, gpusTotal, gpusPerTask, memPerGpuMb, distribution,
                    array, name);
        }
    }

    private JobRequest with(java.util.function.Consumer<B> change) {
        B b = new B(this);
        change.accept(b);
        return b.build();
    }

    /** {@code --dependency}, Slurm's syntax. */
    public JobRequest withDependency(String d) {
        return with(b -> b.dependency = d);
    }

    /** {@code --begin}. */
    public JobRequest withBeginTime(java.time.Instant t) {
        return with(b -> b.beginTime = t);
    }

    /** {@code --requeue} (true) / {@code --no-requeue} (false). */
    public JobRequest withRequeue(Boolean r) {
        return with(b -> b.requeue = r);
    }

    /** {@code -w} and {@code -x}, hostlist expressions (null: not given). */
    public JobRequest withNodes(String include, String exclude) {
        return with(b -> {
            b.nodeList = include;
            b.excludeNodes = exclude;
        });
    }

    /** {@code -C}. */
    public JobRequest withConstraint(String c) {
        return with(b -> b.constraint = c);
    }

    /** {@code --gpus=[type:]N} across the job. */
    public JobRequest withGpusTotal(Integer count, String type) {
        return with(b -> {
            b.gpusTotal = count;
            b.gpuType = type;
        });
    }

    /** {@code --gpus-per-task=[type:]N}. */
    public JobRequest withGpusPerTask(Integer count, String type) {
        return with(b -> {
            b.gpusPerTask = count;
            b.gpuType = type;
        });
    }

    /** {@code --mem-per-gpu}. */
    public JobRequest withMemPerGpu(Long mb) {
        return with(b -> b.memPerGpuMb = mb);
    }

    /** {@code -m block|cyclic}. */
    public JobRequest withDistribution(String d) {
        return with(b -> b.distribution = d);
    }

    /** {@code --array}. */
    public JobRequest withArray(String spec) {
        return with(b -> b.array = spec);
    }

    /** {@code -J}. */
    public JobRequest withName(String n) {
        return with(b -> b.name = n);
    }

    /** {@code --exclusive}. */
    public JobRequest withExclusive(Boolean e) {
        return with(b -> b.exclusive = e);
    }

    /** {@code -m cyclic}: tasks dealt round robin over the nodes (block fills each node first). */
    public boolean cyclic() {
        return distribution != null && distribution.trim().toLowerCase(java.util.Locale.ROOT).startsWith("cyclic");
    }

public JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode, Integer cpusPerTask,
                      Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes, Boolean exclusive) {
        this(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb, timeLimitMinutes,
                exclusive, null, null, null, null, null);
    }

    public JobRequest withAccount(String a, String q) {
        return with(b -> {
            b.account = a;
            b.qos = q;
        });
    }

    public JobRequest withNice(Integer n) {
        return with(b -> b.nice = n);
    }

    /** {@code --gres=gpu:type:count}, per node. */
    public JobRequest withGpus(Integer count, String type) {
        return with(b -> {
            b.gpusPerNode = count;
            b.gpuType = type;
        });
    }

    public JobRequest withTimeLimit(Integer minutes) {
        return with(b -> b.timeLimitMinutes = minutes);
    }

    public int effectiveGpusPerNode() {
        return gpusPerNode == null || gpusPerNode < 0 ? 0 : gpusPerNode;
    }

    public int effectiveNice() {
        return nice == null ? 0 : nice;
    }

    public JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode, Integer cpusPerTask,
                      Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes) {
        this(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb, timeLimitMinutes, null);
    }

    public boolean wholeNodes() {
        return Boolean.TRUE.equals(exclusive);
    }

    public static JobRequest tasks(int ntasks) {
        return new JobRequest(null, null, ntasks, null, null, null, null, null);
    }

    public int effectiveCpusPerTask() {
        return cpusPerTask == null || cpusPerTask < 1 ? 1 : cpusPerTask;
    }

    /** Without {@code -n}, Slurm runs one task per node, or {@code --ntasks-per-node} per node. */
    public int effectiveTasks() {
        if (ntasks != null && ntasks > 0) {
            return ntasks;
        }
        int nodes = nodesMin == null || nodesMin < 1 ? 1 : nodesMin;
        return ntasksPerNode == null || ntasksPerNode < 1 ? nodes : nodes * ntasksPerNode;
    }

    /** A node cannot run zero tasks, so {@code -n 1 -N 2} becomes one node, as srun warns. */
    public int effectiveNodesMin() {
        int min = nodesMin == null || nodesMin < 1 ? 1 : nodesMin;
        return Math.min(min, effectiveTasks());
    }

    /** {@code -N 2} means exactly two nodes; without {@code -N} any number will do. */
    public int effectiveNodesMax() {
        if (nodesMax != null && nodesMax > 0) {
            return Math.max(nodesMax, effectiveNodesMin());
        }
        return nodesMin != null && nodesMin > 0 ? effectiveNodesMin() : Integer.MAX_VALUE;
    }
}
