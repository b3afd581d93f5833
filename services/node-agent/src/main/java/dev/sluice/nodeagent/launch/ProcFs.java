package dev.sluice.nodeagent.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The few facts the agent needs about processes, read from /proc, and signals sent with kill(1): Java can signal
 * a single process but neither a process group nor with SIGCONT.
 */
public final class ProcFs {
    private static final Path PROC = Path.of("/proc");

    private ProcFs() {
    }

    /** Field 22 of /proc/<pid>/stat: start time in ticks since boot. With the pid it identifies one process. */
    public static Optional<Long> startTicks(long pid) {
        return statFields(pid).map(f -> Long.parseLong(f[19]));
    }

    public static String bootId() {
        try {
            return Files.readString(PROC.resolve("sys/kernel/random/boot_id")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** True when {@code pid} runs and is the same process that started at {@code startTicks} (not a reused pid). */
    public static boolean isAlive(long pid, long startTicks) {
        Optional<String[]> f = statFields(pid);
        return f.isPresent() && !f.get()[0].equals("Z") && Long.parseLong(f.get()[19]) == startTicks;
    }

    /** The real uid of this process (the agent), from /proc/self/status. */
    public static int ownUid() {
        try {
            for (String line : Files.readAllLines(PROC.resolve("self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: assume unprivileged, the safe side
        }
        return -1;
    }

    /** Every process below {@code pid}, from /proc, deepest last. */
    public static List<ProcessHandle> descendants(long pid) {
        return ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of());
    }

    /** Sends {@code signal} (TERM, KILL, CONT, ...) to the process group {@code pgid}; false if none is left. */
    public static boolean signalGroup(long pgid, String signal) {
        return kill(signal, "-" + pgid);
    }

    public static boolean signal(long pid, String signal) {
        return kill(signal, Long.toString(pid));
    }

    private static boolean kill(String signal, String target) {
        try {
            Process p = new ProcessBuilder("kill", "-s", signal, "--", target)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Fields of /proc/<pid>/stat after the command name, so index 0 is the state (field 3). */
    private static Optional<String[]> statFields(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return Optional.of(stat.substring(close + 2).trim().split(" "));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
