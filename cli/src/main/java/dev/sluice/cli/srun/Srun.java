package dev.sluice.cli.srun;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.contracts.api.SbatchOptionException;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * srun. Inside an allocation ({@code SLURM_JOB_ID} set, as in a batch script or a task) it launches a step through
 * the node agent ({@link StepClient}); outside one it submits a job whose batch script runs the same srun inside
 * its allocation, and attaches to it ({@link JobAttach}). docs/steps.md is the contract with the agents.
 */
public final class Srun {
    /** Installs the handlers for SIGINT, SIGTERM and SIGHUP; replaced by tests, which raise "signals" themselves. */
    static Consumer<Consumer<String>> signalInstaller = Srun::installSignalHandlers;

    private Srun() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        SrunOptions o;
        StepSpec spec;
        try {
            o = SrunOptions.parse(argv);
            if (o.has("help") || o.has("usage")) {
                usage(ctx);
                return 0;
            }
            if (o.has("version")) {
                ctx.out().println("slurm 22.05.8 (Sluice srun)");
                return 0;
            }
            for (String io : List.of("output", "error", "input")) {
                if (o.has(io)) {
                    // Better said than ignored: srun's per-task file patterns are not in the step contract yet.
                    ctx.err().println("srun: error: --" + io + " is not supported by Sluice's srun yet: redirect"
                            + " the command's streams instead (srun sh -c 'cmd > out.$SLURM_PROCID')");
                    return 1;
                }
            }
            o = withAllocationDefaults(o, ctx.env());
            spec = StepSpec.of(o, ctx.cwd());
        } catch (SbatchOptionException e) {
            String m = e.getMessage();
            if (m.startsWith("unrecognized option") || m.startsWith("invalid option") || m.startsWith("option ")) {
                ctx.err().println("srun: " + m);
                ctx.err().println("Try \"srun --help\" for more information");
            } else {
                ctx.err().println("srun: error: " + m);
            }
            return 1;
        }
        String jobId = ctx.env().get("SLURM_JOB_ID");
        boolean inside = jobId != null && !jobId.isBlank();
        if ("list".equals(spec.mpi())) {
            return mpiList(ctx, inside);
        }
        if (spec.argv().isEmpty()) {
            ctx.err().println("srun: fatal: No command given to execute.");
            return 1;
        }
        if (!inside) {
            return new JobAttach(ctx, api, o, spec).run(signalInstaller);
        }
        long id;
        try {
            id = Long.parseLong(jobId.strip());
        } catch (NumberFormatException e) {
            ctx.err().println("srun: error: Invalid job id specified: SLURM_JOB_ID=" + jobId);
            return 1;
        }
        String agent = ctx.env().get("SLUICE_NODE_AGENT");
        if (agent == null || agent.isBlank()) {
            ctx.err().println("srun: error: SLURM_JOB_ID is set but SLUICE_NODE_AGENT is not: srun runs steps only"
                    + " inside a Sluice allocation (a batch script or one of its tasks)");
            return 1;
        }
        AgentClient client = new AgentClient(AgentClient.address(agent), ctx.env().get("SLUICE_JOB_TOKEN"));
        return new StepClient(ctx, client, id, spec, o.has("unbuffered")).run(signalInstaller);
    }

    /**
     * srun's input environment inside an allocation: {@code SLURM_NTASKS} (the job's {@code --ntasks}) is the
     * default {@code -n}, so a batch script's plain {@code srun} runs the job's tasks. It applies only when the command
     * line shapes the step in no other way (-n, -N, --ntasks-per-node), where Slurm would have to reconcile them.
     */
    static SrunOptions withAllocationDefaults(SrunOptions o, java.util.Map<String, String> env) {
        String n = env.get("SLURM_NTASKS");
        if (env.get("SLURM_JOB_ID") == null || n == null || !n.strip().matches("[1-9][0-9]{0,6}")
                || o.has("ntasks") || o.has("nodes") || o.has("ntasks-per-node")) {
            return o;
        }
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>(o.values());
        values.put("ntasks", n.strip());
        return new SrunOptions(values, o.command());
    }

    /** srun --mpi=list in Slurm 22.05's words; the agent's own list inside an allocation. */
    static int mpiList(Context ctx, boolean inside) {
        List<String> plugins = new ArrayList<>(StepSpec.MPI_PLUGINS);
        String agent = ctx.env().get("SLUICE_NODE_AGENT");
        if (inside && agent != null && !agent.isBlank()) {
            try {
                HttpResponse<String> r = new AgentClient(AgentClient.address(agent), ctx.env().get("SLUICE_JOB_TOKEN"))
                        .get("/api/v1/mpi");
                if (r.statusCode() == 200) {
                    List<String> fromAgent = pluginNames(Api.JSON.readTree(r.body()));
                    if (!fromAgent.isEmpty()) {
                        plugins = fromAgent;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // The static list is what every agent serves.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ctx.out().println("MPI plugin types are...");
        for (String p : plugins) {
            ctx.out().println("\t" + p);
        }
        if (plugins.contains("pmix")) {
            ctx.out().println("specific pmix plugin versions available: pmix_v4");
        }
        return 0;
    }

    /**
     * {@code ["none","pmi2"]}, {@code {"plugins":[...]}} or the agent's list of {@code {"name": ..., "available": ...}};
     * a plugin the agent marks unavailable is not listed, as Slurm lists only the plugins installed.
     */
    static List<String> pluginNames(JsonNode n) {
        JsonNode list = n.isArray() ? n : n.path("plugins").isArray() ? n.path("plugins") : n.path("mpi");
        List<String> out = new ArrayList<>();
        for (JsonNode p : list) {
            String name = p.isTextual() ? p.asText() : p.path("name").asText("");
            if (!name.isBlank() && p.path("available").asBoolean(true)) {
                out.add(name);
            }
        }
        return out;
    }

    private static void usage(Context ctx) {
        ctx.out().println("Usage: srun [OPTIONS(0)... [executable(0) [args(0)...]]]");
        ctx.out().println("Parallel run options (those Sluice's agents act on):");
        ctx.out().println("  -n, --ntasks=ntasks         number of tasks to run");
        ctx.out().println("  -N, --nodes=N               number of nodes on which to run (N = min[-max])");
        ctx.out().println("      --ntasks-per-node=n     number of tasks to invoke on each node");
        ctx.out().println("  -c, --cpus-per-task=ncpus   number of cpus required per task");
        ctx.out().println("      --gpus-per-task=n       number of GPUs required per task");
        ctx.out().println("  -m, --distribution=type     block or cyclic");
        ctx.out().println("      --cpu-bind=type         cores (default) or none");
        ctx.out().println("      --mpi=type              none, pmi2, pmix (--mpi=list)");
        ctx.out().println("  -K, --kill-on-bad-exit      kill the job if any task terminates with a non-zero exit code");
        ctx.out().println("  -w, --nodelist=hosts...     request a specific list of hosts");
        ctx.out().println("  -l, --label                 prepend task number to lines of stdout/err");
        ctx.out().println("  -u, --unbuffered            do not line-buffer stdout/err");
        ctx.out().println("  -D, --chdir=path            change remote current working directory");
        ctx.out().println("Outside an allocation, the allocation options of sbatch apply too (-J, -p, -t, --mem, -A,");
        ctx.out().println("--qos, --gres, --gpus, ...): srun then creates a job and runs the step in it.");
    }

    private static void installSignalHandlers(Consumer<String> handler) {
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> handler.accept(name));
            } catch (IllegalArgumentException e) {
                // A signal the JVM reserves here (e.g. with -Xrs): the default action then applies.
            }
        }
    }
}
