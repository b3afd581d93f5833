package dev.sluice.cli.srun;

import dev.sluice.contracts.api.SbatchOptionException;
import dev.sluice.contracts.api.SbatchOptions;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One step as srun asks the node agent for it ({@code POST /api/v1/jobs/{id}/steps}, docs/steps.md): the srun
 * options checked with srun's messages and turned into the request's fields. Null fields are left to the agent's
 * defaults.
 */
public record StepSpec(List<String> argv, String cwd, Integer ntasks, Integer nodesMin, Integer nodesMax,
                       Integer ntasksPerNode, Integer cpusPerTask, Integer gpusPerTask, String distribution,
                       String cpuBind, String mpi, boolean killOnBadExit, String nodelist, boolean label,
                       String jobName) {

    /** The MPI plugins Sluice's agents serve, in srun --mpi=list order. */
    public static final List<String> MPI_PLUGINS = List.of("none", "pmi2", "pmix");

    /** @throws SbatchOptionException with srun's words for a bad value */
    public static StepSpec of(SrunOptions o, Path cwd) {
        Integer ntasks = o.has("ntasks") ? SbatchOptions.positiveInt(o.get("ntasks"), "ntasks") : null;
        Integer nodesMin = null;
        Integer nodesMax = null;
        if (o.has("nodes")) {
            SbatchOptions.NodeCount n = SbatchOptions.nodeCount(o.get("nodes"));
            nodesMin = n.min();
            nodesMax = n.max() == null ? n.min() : n.max();
        }
        Integer perNode = o.has("ntasks-per-node") ? SbatchOptions.positiveInt(o.get("ntasks-per-node"), "ntasks-per-node") : null;
        Integer cpus = o.has("cpus-per-task") ? SbatchOptions.positiveInt(o.get("cpus-per-task"), "cpus-per-task") : null;
        Integer gpus = o.has("gpus-per-task") ? gpusPerTask(o.get("gpus-per-task")) : null;
        String dist = o.has("distribution") ? distribution(o.get("distribution")) : null;
        String bind = o.has("cpu-bind") ? cpuBind(o.get("cpu-bind")) : null;
        String mpi = o.has("mpi") ? mpi(o.get("mpi")) : null;
        boolean kill = o.has("kill-on-bad-exit") && !o.get("kill-on-bad-exit").strip().equals("0");
        String dir = o.has("chdir") ? cwd.resolve(o.get("chdir")).normalize().toString() : cwd.toString();
        return new StepSpec(o.command(), dir, ntasks, nodesMin, nodesMax, perNode, cpus, gpus, dist, bind, mpi, kill,
                o.get("nodelist"), o.has("label"), o.get("job-name"));
    }

    /** The task count srun uses when -n is not given: per-node count times nodes, else one per node. */
    public int effectiveTasks() {
        if (ntasks != null) {
            return ntasks;
        }
        int nodes = nodesMin == null ? 1 : nodesMin;
        return ntasksPerNode == null ? nodes : ntasksPerNode * nodes;
    }

    /** The request body; {@code env} is srun's whole environment, from which the agent builds each task's. */
    public Map<String, Object> request(Map<String, String> env) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("argv", argv);
        b.put("env", env);
        b.put("cwd", cwd);
        put(b, "ntasks", ntasks);
        put(b, "nodesMin", nodesMin);
        put(b, "nodesMax", nodesMax);
        put(b, "ntasksPerNode", ntasksPerNode);
        put(b, "cpusPerTask", cpusPerTask);
        put(b, "gpusPerTask", gpusPerTask);
        put(b, "distribution", distribution);
        put(b, "cpuBind", cpuBind);
        put(b, "mpi", mpi);
        b.put("killOnBadExit", killOnBadExit);
        put(b, "nodelist", nodelist);
        b.put("label", label);
        return b;
    }

    private static void put(Map<String, Object> b, String k, Object v) {
        if (v != null) {
            b.put(k, v);
        }
    }

    /** {@code --gpus-per-task=N} or {@code type:N}; the step contract carries only the count. */
    static int gpusPerTask(String v) {
        String count = v.contains(":") ? v.substring(v.lastIndexOf(':') + 1) : v;
        return SbatchOptions.positiveInt(count, "gpus-per-task");
    }

    /** {@code -m block|cyclic}, with Slurm's {@code :socket-level} suffixes read and ignored. */
    static String distribution(String v) {
        String first = v.split("[:,]", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (first.equals("block") || first.equals("cyclic")) {
            return first;
        }
        throw new SbatchOptionException("Invalid --distribution specification");
    }

    /** {@code --cpu-bind=cores|none}, Slurm's {@code verbose,} and {@code quiet,} accepted and dropped. */
    static String cpuBind(String v) {
        String kind = null;
        for (String part : v.toLowerCase(Locale.ROOT).split(",")) {
            switch (part.strip()) {
                case "v", "verbose", "q", "quiet", "" -> {
                }
                case "none", "no" -> kind = "none";
                case "cores", "threads" -> kind = "cores";
                default -> throw new SbatchOptionException("Failed to parse --cpu-bind= argument: " + v
                        + " (Sluice binds cores or none)");
            }
        }
        if (kind == null) {
            throw new SbatchOptionException("Failed to parse --cpu-bind= argument: " + v);
        }
        return kind;
    }

    static String mpi(String v) {
        String m = v.strip().toLowerCase(Locale.ROOT);
        // Slurm names versions of its pmix plugin (pmix_v4); they all mean the one PMIx server here.
        if (m.startsWith("pmix")) {
            return "pmix";
        }
        if (MPI_PLUGINS.contains(m) || m.equals("list")) {
            return m;
        }
        throw new SbatchOptionException("Invalid MPI type '" + v + "', --mpi=list for acceptable types");
    }
}
