package dev.sluice.nodeagent.step;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A process's resource limits as sluice-stepd {@code --rlimit} specs, read from {@code /proc/<pid>/limits}: the
 * batch script's limits (a {@code ulimit -l} it ran included) are what srun inside it would have, so tasks get
 * them, as Slurm's PropagateResourceLimits does.
 */
public final class ProcLimits {
    private static final Map<String, String> NAMES = Map.of(
            "Max core file size", "core", "Max locked memory", "memlock", "Max open files", "nofile",
            "Max processes", "nproc", "Max stack size", "stack", "Max address space", "as",
            "Max cpu time", "cpu", "Max file size", "fsize");

    private ProcLimits() {
    }

    public static List<String> of(long pid) {
        List<String> specs = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"));
        } catch (IOException e) {
            return specs;
        }
        for (String line : lines) {
            for (var e : NAMES.entrySet()) {
                if (line.startsWith(e.getKey() + " ")) {
                    String[] f = line.substring(e.getKey().length()).trim().split("\\s+");
                    if (f.length >= 2) {
                        specs.add(e.getValue() + "=" + f[0] + ":" + f[1]);
                    }
                }
            }
        }
        return specs;
    }

    /** srun's own limits as sent in the request: {@code memlock -> "unlimited"} or {@code "soft:hard"}. */
    public static List<String> of(Map<String, String> given) {
        return given.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }
}
