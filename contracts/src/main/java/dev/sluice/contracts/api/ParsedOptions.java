package dev.sluice.contracts.api;

import java.util.Map;

/**
 * sbatch options after parsing, with their values as the user wrote them (the last occurrence wins, as in sbatch).
 * Null means "not given". Options that take no value are booleans; options whose value is optional
 * ({@code --exclusive}, {@code --nice}) hold {@code ""} when given without one. Checking and converting values
 * ({@link SbatchOptions#positiveInt}, {@link SbatchOptions#memoryMb}, ...) is left to the caller, so a client can
 * pass options through to a server that checks them once.
 *
 * @param requeue {@code --requeue} (true) or {@code --no-requeue} (false), whichever came last; null if neither
 * @param values  every option given, by its long name without dashes ({@code "job-name"}), including the
 *                ones without a component here; flags map to {@code ""}
 */
public record ParsedOptions(
        String jobName, String partition, String account, String qos,
        String ntasks, String cpusPerTask, String nodes, String ntasksPerNode,
        String mem, String memPerCpu, String memPerGpu,
        String time, String timeMin,
        String output, String error, String input, String chdir,
        String gres, String gpus, String gpusPerNode, String gpusPerTask, String cpusPerGpu,
        String exclusive, String export, String array, String dependency, String begin,
        boolean hold, String nice, Boolean requeue, boolean parsable, String wrap,
        String nodelist, String exclude, String constraint,
        String mailType, String mailUser, String comment, String reservation, String signal,
        boolean waitForCompletion, boolean testOnly,
        Map<String, String> values) {

    public ParsedOptions {
        values = Map.copyOf(values);
    }

    static ParsedOptions of(Map<String, String> v, Boolean requeue) {
        return new ParsedOptions(
                v.get("job-name"), v.get("partition"), v.get("account"), v.get("qos"),
                v.get("ntasks"), v.get("cpus-per-task"), v.get("nodes"), v.get("ntasks-per-node"),
                v.get("mem"), v.get("mem-per-cpu"), v.get("mem-per-gpu"),
                v.get("time"), v.get("time-min"),
                v.get("output"), v.get("error"), v.get("input"), v.get("chdir"),
                v.get("gres"), v.get("gpus"), v.get("gpus-per-node"), v.get("gpus-per-task"), v.get("cpus-per-gpu"),
                v.get("exclusive"), v.get("export"), v.get("array"), v.get("dependency"), v.get("begin"),
                v.containsKey("hold"), v.get("nice"), requeue, v.containsKey("parsable"), v.get("wrap"),
                v.get("nodelist"), v.get("exclude"), v.get("constraint"),
                v.get("mail-type"), v.get("mail-user"), v.get("comment"), v.get("reservation"), v.get("signal"),
                v.containsKey("wait"), v.containsKey("test-only"),
                v);
    }

    /** The raw value of any option by its long name ({@code "licenses"}), or null when not given. */
    public String get(String longName) {
        return values.get(longName);
    }

    public boolean has(String longName) {
        return values.containsKey(longName);
    }

    public boolean exclusiveRequested() {
        return exclusive != null;
    }
}
