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

import dev.sluice.scheduler.core.ArraySpec;
import dev.sluice.scheduler.core.Dependency;
import dev.sluice.scheduler.core.config.Hostlist;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    public static final String DEFAULT_ARRAY_OUTPUT = "slurm-%A_%a.out";

    /** Options that become part of the job spec. */
    private static final Set<String> CARRIED = Set.of(
            "job-name", "partition", "account", "qos", "ntasks", "cpus-per-task", "nodes", "ntasks-per-node",
            "mem", "mem-per-cpu", "time", "output", "error", "chdir", "gres", "gpus", "gpus-per-node", "exclusive",
            "wrap", "dependency", "begin", "array", "hold", "requeue", "no-requeue", "nodelist", "exclude",
            "constraint", "gpus-per-task", "mem-per-gpu", "distribution", "open-mode", "signal");

    /**
     * Options that only change what the client does (print the id, wait, pass its environment) or are notes
     * to people; the server accepts and ignores them.
     */
    private static final Set<String> CLIENT_SIDE = Set.of(
            "parsable", "quiet", "verbose", "wait", "export", "export-file", "get-user-env", "propagate",
            "ignore-pbs", "comment", "mail-type", "mail-user");

    static final String GROUP_NOT_PERMITTED =
            "Batch job submission failed: User's group not permitted to use this partition";

    private final ClusterConfig cluster;
    private final Clock clock;
    private final UnixGroups groups;

    public JobRequestReader(ClusterConfig cluster) {
        this(cluster, Clock.systemDefaultZone());
    }

    /** @param clock now and the time zone {@code --begin} is read in (the submit host's, as sbatch's is) */
    public JobRequestReader(ClusterConfig cluster, Clock clock) {
        this(cluster, clock, UnixGroups.fromFile(Path.of("/etc/group")));
    }

    /** @param groups the submitting user's groups, for the partitions' {@code AllowGroups} */
    public JobRequestReader(ClusterConfig cluster, Clock clock, UnixGroups groups) {
        this.cluster = cluster;
        this.clock = clock;
        this.groups = groups;
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

        List<String> scriptArgs = req.scriptArgs() == null ? List.of()
                : req.scriptArgs().stream().map(a -> a == null ? "" : a).toList();
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
            if (!script.isEmpty() || !scriptArgs.isEmpty()) {
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
        allowGroups(partition, req.user(), req.uid(), req.gid());
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

        String array = array(o.array());
        // Slurm's default output for an array task is slurm-%A_%a.out, so one task does not overwrite another.
        String stdout = o.output() != null ? o.output() : array != null ? DEFAULT_ARRAY_OUTPUT : DEFAULT_OUTPUT;
        JobSpec spec = new JobSpec(name, partition, o.account(), o.qos(), script, workDir,
                stdout, o.error(),
                req.env() == null ? Map.of() : Map.copyOf(req.env()), resources(o), timeLimit,
                dependency(o.dependency()), begin(o.begin()), o.hold() ? Boolean.TRUE : null, o.requeue(),
                hostlist(o.nodelist()), hostlist(o.exclude()), constraint(o.constraint()),
                distribution(o.get("distribution")), openMode(o.get("open-mode")), array,
                scriptArgs.isEmpty() ? null : scriptArgs, signal(o.signal()));
        return new Accepted(new Owner(req.user(), req.uid(), req.gid()), spec);
    }

    /**
     * AllowGroups, checked at submission as slurmctld does: the job is refused when none of its partitions admits a
     * group of the user. Root is not held to it (nor is it in Slurm).
     */
    private void allowGroups(String partitions, String user, int uid, int gid) {
        if (uid == 0) {
            return;
        }
        Set<String> mine = null;
        for (String name : partitions.split(",")) {
            Optional<ClusterConfig.PartitionDef> p = cluster.partition(name.strip());
            Optional<String> allow = p.flatMap(d -> d.param("AllowGroups")).map(String::strip);
            if (allow.isEmpty() || allow.get().isEmpty() || allow.get().equalsIgnoreCase("ALL")) {
                return;
            }
            if (mine == null) {
                mine = groups.of(user, gid);
            }
            for (String g : allow.get().split(",")) {
                if (mine.contains(g.strip())) {
                    return;
                }
            }
        }
        throw new SbatchOptionException(GROUP_NOT_PERMITTED);
    }

    private static String dependency(String value) {
        if (value == null) {
            return null;
        }
        try {
            Dependency.parse(value.strip());
        } catch (IllegalArgumentException e) {
            throw new SbatchOptionException("Batch job submission failed: " + Dependency.PROBLEM);
        }
        return value.strip();
    }

    private static String array(String value) {
        if (value == null) {
            return null;
        }
        try {
            ArraySpec.parse(value.strip());
        } catch (IllegalArgumentException e) {
            throw new SbatchOptionException("Batch job submission failed: " + ArraySpec.INVALID);
        }
        return value.strip();
    }

    /** The number of tasks in an accepted job's {@code --array}, 1 for a job that is not an array. */
    public static int arraySize(JobSpec spec) {
        return spec.array() == null ? 1 : ArraySpec.parse(spec.array()).size();
    }

    private Instant begin(String value) {
        if (value == null) {
            return null;
        }
        try {
            return BeginTime.parse(value, clock);
        } catch (IllegalArgumentException e) {
            throw new SbatchOptionException("Invalid --begin specification");
        }
    }

    /** Hostlist syntax is checked here; whether the nodes exist is the scheduler's business (they may join later). */
    private static String hostlist(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            if (Hostlist.expand(value.strip()).isEmpty()) {
                throw new IllegalArgumentException("empty");
            }
        } catch (RuntimeException e) {
            throw new SbatchOptionException("Batch job submission failed: Invalid node name specified");
        }
        return value.strip();
    }

    private static String constraint(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        for (String f : v.split("[&|,]", -1)) {
            if (f.isBlank()) {
                throw new SbatchOptionException("Batch job submission failed: Invalid feature specification");
            }
        }
        return v;
    }

    private static final Set<String> DISTRIBUTIONS = Set.of("block", "cyclic", "plane", "arbitrary", "*");

    private static String distribution(String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        String first = v.split("[:,=]", 2)[0].toLowerCase(Locale.ROOT);
        if (!DISTRIBUTIONS.contains(first)) {
            throw new SbatchOptionException("Invalid --distribution specification");
        }
        return v;
    }

    /** Checked and carried in canonical form ({@code B:10@50}), so the node agent never parses names. */
    private static String signal(String value) {
        if (value == null) {
            return null;
        }
        try {
            return dev.sluice.contracts.api.SignalOption.parse(value).canonical();
        } catch (IllegalArgumentException e) {
            throw new SbatchOptionException(dev.sluice.contracts.api.SignalOption.INVALID);
        }
    }

    private static String openMode(String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        // sbatch takes any prefix of the word, as Slurm's opt code checks only the first letter
        if (!v.isEmpty() && "append".startsWith(v)) {
            return "append";
        }
        if (!v.isEmpty() && "truncate".startsWith(v)) {
            return "truncate";
        }
        throw new SbatchOptionException("Invalid --open-mode argument: " + value + ".");
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
        if ((o.mem() != null ? 1 : 0) + (o.memPerCpu() != null ? 1 : 0) + (o.memPerGpu() != null ? 1 : 0) > 1) {
            throw new SbatchOptionException("--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive.");
        }
        Long mem = o.mem() == null ? null : SbatchOptions.memoryMb(o.mem(), "mem");
        Long memPerCpu = o.memPerCpu() == null ? null : SbatchOptions.memoryMb(o.memPerCpu(), "mem-per-cpu");
        Long memPerGpu = o.memPerGpu() == null ? null : SbatchOptions.memoryMb(o.memPerGpu(), "mem-per-gpu");

        List<String> gres = new ArrayList<>();
        if (o.gres() != null && !o.gres().isBlank() && !o.gres().equalsIgnoreCase("none")) {
            Arrays.stream(o.gres().split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(gres::add);
        }
        // --gres is per node; --gpus-per-node says the same, and --gpus (per job) does too when the job has one node.
        if (o.gpusPerNode() != null) {
            gres.add(gpuGres(o.gpusPerNode(), "gpus-per-node"));
        }
        Integer gpusTotal = null;
        Integer gpusPerTask = null;
        String gpuType = null;
        if (o.gpus() != null) {
            gpusTotal = gpuCount(o.gpus(), "gpus");
            gpuType = gpuType(o.gpus());
        }
        if (o.gpusPerTask() != null) {
            gpusPerTask = gpuCount(o.gpusPerTask(), "gpus-per-task");
            String t = gpuType(o.gpusPerTask());
            gpuType = t != null ? t : gpuType;
        }
        return new Resources(nodesMin, nodesMax, ntasks, perNode, cpus, mem, memPerCpu, List.copyOf(gres),
                o.exclusiveRequested(), gpusTotal, gpusPerTask, gpuType, memPerGpu);
    }

    private static int gpuCount(String value, String option) {
        String v = value.strip();
        int colon = v.lastIndexOf(':');
        return SbatchOptions.positiveInt(colon < 0 ? v : v.substring(colon + 1), option);
    }

    /** {@code h100:8} -> h100, {@code gpu:h100:8} -> h100, {@code 8} -> null. */
    private static String gpuType(String value) {
        String[] p = value.strip().split(":");
        if (p.length >= 3) {
            return p[1];
        }
        return p.length == 2 && !p[0].equals("gpu") ? p[0] : null;
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
