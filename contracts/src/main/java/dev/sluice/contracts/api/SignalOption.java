package dev.sluice.contracts.api;

import java.util.Locale;
import java.util.Map;

/**
 * sbatch/srun {@code --signal=[{R|B}:]<sig_num|sig_name>[@sig_time]}: send a signal {@code seconds} before the
 * job's time limit. As in Slurm: names with or without {@code SIG}, any case; numbers 1-64; sig_time 0-65535,
 * 60 when absent; {@code B:} signals only the batch shell, otherwise the job's steps (srun tasks) and not the
 * batch shell; {@code R:} (signal on reservation end) is accepted and otherwise treated as no prefix.
 *
 * @param target  {@code "B"}, {@code "R"} or null
 * @param signal  the signal number (Linux numbering)
 * @param seconds how long before the time limit
 */
public record SignalOption(String target, int signal, int seconds) {

    /** Slurm's message for every malformed value (sbatch and srun prefix it with their name). */
    public static final String INVALID = "Invalid --signal specification";
    public static final int DEFAULT_SECONDS = 60;

    /** Linux x86/arm numbers of the signals Slurm's sig_name2num knows, plus the rest of the classic set. */
    private static final Map<String, Integer> NAMES = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("BUS", 7), Map.entry("FPE", 8),
            Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11), Map.entry("USR2", 12),
            Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15), Map.entry("CHLD", 17),
            Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20), Map.entry("TTIN", 21),
            Map.entry("TTOU", 22), Map.entry("URG", 23), Map.entry("XCPU", 24), Map.entry("XFSZ", 25),
            Map.entry("VTALRM", 26), Map.entry("PROF", 27), Map.entry("WINCH", 28), Map.entry("IO", 29),
            Map.entry("PWR", 30), Map.entry("SYS", 31));

    public SignalOption {
        if (signal < 1 || signal > 64 || seconds < 0 || seconds > 65535
                || (target != null && !target.equals("B") && !target.equals("R"))) {
            throw new IllegalArgumentException(INVALID);
        }
    }

    /** Parses the option's value; {@link IllegalArgumentException} with {@link #INVALID} when it is malformed. */
    public static SignalOption parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(INVALID);
        }
        String v = value.strip();
        String target = null;
        int colon = v.indexOf(':');
        if (colon >= 0) {
            String t = v.substring(0, colon).toUpperCase(Locale.ROOT);
            // Slurm accepts the flags in either order and together ("BR:")
            if (t.isEmpty() || !t.matches("[BR]+")) {
                throw new IllegalArgumentException(INVALID);
            }
            target = t.contains("B") ? "B" : "R";
            v = v.substring(colon + 1);
        }
        int seconds = DEFAULT_SECONDS;
        int at = v.indexOf('@');
        if (at >= 0) {
            String s = v.substring(at + 1);
            if (!s.matches("[0-9]{1,5}")) {
                throw new IllegalArgumentException(INVALID);
            }
            seconds = Integer.parseInt(s);
            v = v.substring(0, at);
        }
        return new SignalOption(target, number(v), seconds);
    }

    private static int number(String sig) {
        if (sig.matches("[0-9]{1,3}")) {
            return Integer.parseInt(sig);
        }
        String name = sig.toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) {
            name = name.substring(3);
        }
        Integer n = NAMES.get(name);
        if (n == null) {
            throw new IllegalArgumentException(INVALID);
        }
        return n;
    }

    /** Whether only the batch shell gets the signal ({@code B:}). */
    public boolean batchOnly() {
        return "B".equals(target);
    }

    /** The canonical form carried in {@code JobSpec.signal}: {@code B:10@50}, {@code 15@60}. */
    public String canonical() {
        return (target == null ? "" : target + ":") + signal + "@" + seconds;
    }

    @Override
    public String toString() {
        return canonical();
    }
}
