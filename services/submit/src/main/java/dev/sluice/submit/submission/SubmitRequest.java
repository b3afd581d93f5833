package dev.sluice.submit.submission;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /api/v1/jobs}: the script and sbatch's command-line options as the CLI sends them, plus
 * typed fields for portals that would rather not write option strings. Typed fields win over {@code args}, which win
 * over the script's {@code #SBATCH} lines. Typed values are strings in sbatch syntax ({@code "mem": "1G"},
 * {@code "time": "1:00:00"}); JSON numbers are accepted where a number makes sense.
 *
 * @param scriptName the script's file name, for the default job name; absent means the script came from stdin
 * @param scriptArgs arguments for the script after its name on the sbatch line; refused until JobSpec can carry them
 */
public record SubmitRequest(
        String script, String scriptName, List<String> args, List<String> scriptArgs, String workDir, Map<String, String> env,
        String user, Integer uid, Integer gid,
        String name, String partition, String account, String qos,
        String ntasks, String cpusPerTask, String nodes, String ntasksPerNode,
        String mem, String memPerCpu, String time, String output, String error, String gres) {

    /** The typed fields as option words, in the order they override each other (all after {@code args}). */
    List<String> typedOptions() {
        List<String> out = new java.util.ArrayList<>();
        add(out, "job-name", name);
        add(out, "partition", partition);
        add(out, "account", account);
        add(out, "qos", qos);
        add(out, "ntasks", ntasks);
        add(out, "cpus-per-task", cpusPerTask);
        add(out, "nodes", nodes);
        add(out, "ntasks-per-node", ntasksPerNode);
        add(out, "mem", mem);
        add(out, "mem-per-cpu", memPerCpu);
        add(out, "time", time);
        add(out, "output", output);
        add(out, "error", error);
        add(out, "gres", gres);
        return out;
    }

    private static void add(List<String> out, String option, String value) {
        if (value != null) {
            out.add("--" + option + "=" + value);
        }
    }
}
