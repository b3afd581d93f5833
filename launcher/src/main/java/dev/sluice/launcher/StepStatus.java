package dev.sluice.launcher;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The line sluice-stepd writes to its status file when the task has ended:
 * {@code exit_code=N signal=N user_ms=N system_ms=N max_rss_kb=N[ error=<url-encoded message>]}.
 *
 * <p>{@code signal} is non-zero when the task was killed by a signal (then {@code exitCode} is 0, like Slurm's
 * {@code 0:9}); {@code error} is present only when the launcher failed to set the step up (exit code 254), and holds
 * the same message it printed as {@code sluice-stepd: error: <message>}. Usage is that of the waited task tree.
 */
public record StepStatus(int exitCode, int signal, long userMs, long systemMs, long maxRssKb, Optional<String> error) {

    /** The exit code of sluice-stepd (and in the status file) when it could not set the step up. */
    public static final int SETUP_ERROR = 254;

    public StepStatus {
        error = error == null ? Optional.empty() : error;
    }

    /** True when the task never ran (or could not be tracked) because the launcher failed. */
    public boolean setupFailed() {
        return error.isPresent();
    }

    /** The launcher's own exit status for this outcome: the exit code, or 128 + signal. */
    public int launcherExitCode() {
        return signal != 0 ? 128 + signal : exitCode;
    }

    public static StepStatus read(Path statusFile) throws IOException {
        return parse(Files.readString(statusFile, StandardCharsets.UTF_8));
    }

    /** Parses one status line; unknown keys are ignored so that the launcher can add some later. */
    public static StepStatus parse(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String token : line.strip().split("\\s+")) {
            int eq = token.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("malformed status line: '" + line.strip() + "'");
            }
            fields.put(token.substring(0, eq), token.substring(eq + 1));
        }
        return new StepStatus(
                (int) number(fields, "exit_code", line),
                (int) number(fields, "signal", line),
                number(fields, "user_ms", line),
                number(fields, "system_ms", line),
                number(fields, "max_rss_kb", line),
                Optional.ofNullable(fields.get("error")).map(e -> URLDecoder.decode(e, StandardCharsets.UTF_8)));
    }

    private static long number(Map<String, String> fields, String key, String line) {
        String value = fields.get(key);
        if (value == null) {
            throw new IllegalArgumentException("status line lacks " + key + ": '" + line.strip() + "'");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("status line has a non-numeric " + key + ": '" + line.strip() + "'");
        }
    }
}
