package dev.sluice.cli.sbatch;

import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.contracts.api.ParsedOptions;
import dev.sluice.contracts.api.SbatchArgs;
import dev.sluice.contracts.api.SbatchOptionException;
import dev.sluice.contracts.api.SbatchOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * sbatch: finds the script among the options (with the shared option table), sends it with the options as typed,
 * the working directory, the whole environment (Slurm's default --export=ALL) and the caller's ids. The submit
 * service parses the options and the #SBATCH lines again with the same table and is the one that judges them.
 */
public final class Sbatch {
    private Sbatch() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        SbatchArgs split;
        ParsedOptions cmdline;
        try {
            split = SbatchOptions.splitCommandLine(argv);
            cmdline = SbatchOptions.parse(split.options());
        } catch (SbatchOptionException e) {
            ctx.err().println("sbatch: error: " + e.getMessage());
            return 1;
        }
        if (cmdline.has("help") || cmdline.has("usage")) {
            ctx.out().println("Usage: sbatch [OPTIONS(0)...] [ : [OPTIONS(N)...]] script(0) [args(0)...]");
            ctx.out().println("Options are those of Slurm's sbatch; #SBATCH lines in the script are read too.");
            return 0;
        }

        String script;
        String scriptName;
        if (split.scriptPath() != null) {
            Path file = ctx.cwd().resolve(split.scriptPath());
            try {
                script = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                ctx.err().println("sbatch: error: Unable to open file " + split.scriptPath());
                return 1;
            }
            scriptName = file.getFileName().toString();
        } else if (cmdline.wrap() != null) {
            // The submit service writes the --wrap script itself and wants no script beside it.
            script = "";
            scriptName = null;
        } else {
            try {
                script = new String(ctx.in().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                ctx.err().println("sbatch: error: Unable to read batch script from standard input");
                return 1;
            }
            // No name: the service then calls the job "sbatch", as Slurm does for a script from stdin.
            scriptName = null;
        }
        if (cmdline.wrap() == null && script.isEmpty()) {
            ctx.err().println("sbatch: error: Batch script is empty!");
            return 1;
        }
        if (cmdline.wrap() == null && !script.startsWith("#!")) {
            ctx.err().println("sbatch: error: This does not look like a batch script.  The first");
            ctx.err().println("sbatch: error: line must start with #! followed by the path to an interpreter.");
            ctx.err().println("sbatch: error: For instance: #!/bin/sh");
            return 1;
        }
        boolean parsable = cmdline.parsable() || parsableInScript(script, split.options());

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("script", script);
        if (scriptName != null) {
            body.put("scriptName", scriptName);
        }
        body.put("args", split.options());
        if (!split.scriptArgs().isEmpty()) {
            // Not in the submit contract yet: sent only when there are some, so plain submissions never depend on it.
            body.put("scriptArgs", split.scriptArgs());
        }
        body.put("workDir", ctx.cwd().toString());
        body.put("env", ctx.env());
        body.put("user", ctx.identity().user());
        body.put("uid", ctx.identity().uid());
        body.put("gid", ctx.identity().gid());
        try {
            Api.Response r = api.post(ctx.endpoints().submit(), "/api/v1/jobs", body);
            if (!r.ok()) {
                ctx.err().println("sbatch: error: " + r.error());
                return 1;
            }
            long jobId = Api.JSON.readTree(r.body()).path("jobId").asLong(-1);
            if (jobId < 0) {
                ctx.err().println("sbatch: error: Batch job submission failed: no job id in the answer");
                return 1;
            }
            ctx.out().println(parsable ? Long.toString(jobId) : "Submitted batch job " + jobId);
            return 0;
        } catch (Api.Unreachable e) {
            ctx.err().println("sbatch: error: Batch job submission failed: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            ctx.err().println("sbatch: error: Batch job submission failed: unexpected answer: " + e.getMessage());
            return 1;
        }
    }

    /** {@code #SBATCH --parsable} counts too; a bad directive is left for the service to report. */
    private static boolean parsableInScript(String script, List<String> options) {
        try {
            List<String> words = new ArrayList<>(SbatchOptions.directives(script));
            words.addAll(options);
            return SbatchOptions.parse(words).parsable();
        } catch (SbatchOptionException e) {
            return false;
        }
    }
}
