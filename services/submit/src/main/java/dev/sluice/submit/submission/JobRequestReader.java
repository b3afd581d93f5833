package dev.sluice.submit.submission;

import dev.sluice.contracts.api.ParsedOptions;
import dev.sluice.contracts.api.SbatchArgs;
import dev.sluice.contracts.api.SbatchOptionException;
import dev.sluice.contracts.api.SbatchOptions;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.config.SlurmTime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns a submit request into the job Sluice will run: reads the script's {@code #SBATCH} lines, applies the
 * command-line options and typed fields over them, and checks everything with sbatch's messages. Plain Java, so
 * the rules are testable without a server.
 */
public final class JobRequestReader {

    /** What a request becomes once accepted. */
    public record Accepted(Owner owner, JobSpec spec) {
    }

    public static final String DEFAULT_OUTPUT = "slurm-%j.out";

    /** Options that become part of the job spec. */
    private static final Set<String> CARRIED = Set.of(
            "job-name", "partition", "account", "qos", "ntasks", "cpus-per-task", "nodes", "ntasks-per-node",
            "mem", "mem-per-cpu", "time", "output", "error", "chdir", "gres", "gpus", "gpus-per-node", "exclusive",
            "wrap");

    /**
     * Options that only change what the client does (print the id, wait, pass its environment) or are notes
     * to people; the server accepts and ignores them.
     */
    private static final Set<String> CLIENT_SIDE = Set.of(
            "parsable", "quiet", "verbose", "wait", "export", "export-file", "get-user-env", "propagate",
            "ignore-pbs", "comment", "mail-type", "mail-user", "open-mode", "requeue", "no-requeue");

    private final ClusterConfig cluster;

    public JobRequestReader(ClusterConfig cluster) {
        this.cluster = cluster;
    }

    public Accepted read(SubmitRequest req) {
        if (req.user() == null || req.user().isBlank()) {
            throw new SbatchOptionException("Missing user: the request must name the submitting user");
        }
        if (req.uid() == null || req.gid() == null) {
            throw new SbatchOptionException("Missing uid or gid for user " + req.user());
        }
        if (req.workDir() == null || !req.workDir().startsWith("/")) {
            throw new SbatchOptionException("Missing or relative workDir: the request must give an absolute working directory");
        }

        if (req.scriptArgs() != null && !req.scriptArgs().isEmpty()) {
            throw new SbatchOptionException("Script arguments are not supported by Sluice yet: " + req.scriptArgs());
        }
        List<String> args = req.args() == null ? List.of() : req.args().stream().filter(a -> a != null).toList();
        SbatchArgs split = SbatchOptions.splitCommandLine(args);
        if (split.scriptPath() != null) {
            throw new SbatchOptionException("Unexpected argument '" + split.scriptPath()
                    + "' in args: send the script's text in \"script\", not its path");
        }
        String script = req.script() == null ? "" : req.script();
        List<String> words = new ArrayList<>(SbatchOptions.directives(script));
        words.addAll(split.options());
        words.addAll(req.typedOptions());
        ParsedOptions o = SbatchOptions.parse(words);
        rejectUnsupported(o);

        String name = o.jobName();
        if (o.wrap() != null) {
            if (!script.isEmpty()) {
                throw new SbatchOptionException("Script arguments not permitted with --wrap option");
            }
            script = "#!/bin/sh\n# This script was created by sbatch --wrap.\n\n" + o.wrap() + "\n";
            if (name == null) {
                name = "wrap";
            }
        }
        checkScript(script);
        if (name == null) {
            name = req.scriptName() == null || req.scriptName().isBlank()
                    ? "sbatch" : Path.of(req.scriptName()).getFileName().toString();
        }

        String partition = partition(o.partition());
        Integer timeLimit = null;
        if (o.time() != null) {
            try {
                timeLimit = SlurmTime.parseMinutes(o.time());
            } catch (IllegalArgumentException e) {
                throw new SbatchOptionException("Invalid --time specification");
            }
        }
        String workDir = req.workDir();
        if (o.chdir() != null) {
            workDir = Path.of(req.workDir()).resolve(o.chdir()).normalize().toString();
        }

        JobSpec spec = new JobSpec(name, partition, o.account(), o.qos(), script, workDir,
                o.output() == null ? DEFAULT_OUTPUT : o.output(), o.error(),
                req.env() == null ? Map.of() : Map.copyOf(req.env()), resources(o), timeLimit);
        return new Accepted(new Owner(req.user(), req.uid(), req.gid()), spec);
    }

    private static void rejectUnsupported(ParsedOptions o) {
        Set<String> unsupported = new TreeSet<>(o.values().keySet());
        unsupported.removeAll(CARRIED);
        unsupported.removeAll(CLIENT_SIDE);
        if (!unsupported.isEmpty()) {
            throw new SbatchOptionException("option '--" + unsupported.iterator().next()
                    + "' is not supported by Sluice yet");
        }
    }

    private static void checkScript(String script) {
        if (script.isEmpty()) {
            throw new SbatchOptionException("Batch script is empty!");
        }
        if (script.isBlank()) {
            throw new SbatchOptionException("Batch script contains only whitespace!");
        }
        if (!script.startsWith("#!")) {
            throw new SbatchOptionException("This does not look like a batch script.  The first line must start "
                    + "with #! followed by the path to an interpreter.");
        }
        if (script.contains("\r\n")) {
            throw new SbatchOptionException("Batch script contains DOS line breaks (\\r\\n) instead of expected "
                    + "UNIX line breaks (\\n).");
        }
    }

    private String partition(String requested) {
        if (requested == null) {
            return cluster.defaultPartition().map(ClusterConfig.PartitionDef::name).orElseThrow(() ->
                    new SbatchOptionException("Batch job submission failed: No partition specified or system default partition"));
        }
        for (String p : requested.split(",")) {
            if (cluster.partition(p.strip()).isEmpty()) {
                throw new SbatchOptionException("Batch job submission failed: Invalid partition name specified");
            }
        }
        return requested;
    }

    private static Resources resources(ParsedOptions o) {
        Integer nodesMin = null;
        Integer nodesMax = null;
        if (o.nodes() != null) {
            SbatchOptions.NodeCount n = SbatchOptions.nodeCount(o.nodes());
            nodesMin = n.min();
            nodesMax = n.max();
        }
        Integer ntasks = o.ntasks() == null ? null : SbatchOptions.positiveInt(o.ntasks(), "ntasks");
        Integer perNode = o.ntasksPerNode() == null ? null
                : SbatchOptions.positiveInt(o.ntasksPerNode(), "ntasks-per-node");
        Integer cpus = o.cpusPerTask() == null ? null : SbatchOptions.positiveInt(o.cpusPerTask(), "cpus-per-task");
        if (o.mem() != null && o.memPerCpu() != null) {
            throw new SbatchOptionException("--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive.");
        }
        Long mem = o.mem() == null ? null : SbatchOptions.memoryMb(o.mem(), "mem");
        Long memPerCpu = o.memPerCpu() == null ? null : SbatchOptions.memoryMb(o.memPerCpu(), "mem-per-cpu");

        List<String> gres = new ArrayList<>();
        if (o.gres() != null && !o.gres().isBlank() && !o.gres().equalsIgnoreCase("none")) {
            Arrays.stream(o.gres().split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(gres::add);
        }
        // --gres is per node; --gpus-per-node says the same, and --gpus (per job) does too when the job has one node.
        if (o.gpusPerNode() != null) {
            gres.add(gpuGres(o.gpusPerNode(), "gpus-per-node"));
        }
        if (o.gpus() != null) {
            if (nodesMin != null && (nodesMin > 1 || (nodesMax != null && nodesMax > 1))) {
                throw new SbatchOptionException("option '--gpus' with more than one node is not supported by Sluice "
                        + "yet: use --gpus-per-node");
            }
            gres.add(gpuGres(o.gpus(), "gpus"));
        }
        return new Resources(nodesMin, nodesMax, ntasks, perNode, cpus, mem, memPerCpu, List.copyOf(gres),
                o.exclusiveRequested());
    }

    /** {@code 8} or {@code h100:8} as a gres entry {@code gpu:8} / {@code gpu:h100:8}. */
    private static String gpuGres(String value, String option) {
        String v = value.strip();
        int colon = v.lastIndexOf(':');
        String count = colon < 0 ? v : v.substring(colon + 1);
        SbatchOptions.positiveInt(count, option);
        return "gpu:" + v;
    }
}
