package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.launcher.StepStatus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * One job's directory under {@code <state-dir>/jobs/<id>}: the files through which the job outlives an agent
 * restart. Its creation is the agent's "seen this launch" mark; {@code reported} its "told Kafka how it ended".
 */
public record JobDir(long jobId, Path path) {
    static final String LAUNCH = "launch.json";
    static final String SCRIPT = "script";
    /** sluice-stepd's pid and start ticks, written by the agent as soon as it started it. */
    static final String WRAPPER_PID = "wrapper.pid";
    /** sluice-stepd's own stdout/stderr: its messages before the job's output files were open. */
    static final String STEPD_LOG = "stepd.log";
    static final String SCRIPT_PID = "script.pid";
    static final String STATUS = "status";
    static final String END_REASON = "end-reason";
    static final String STDERR_PATH = "stderr.path";
    static final String REPORTED = "reported";
    /** The job's secret (SLUICE_JOB_TOKEN), mode 0600. */
    static final String TOKEN = "token";
    /** Present when this node only holds a share of the job (not its first node, which runs the batch script). */
    static final String MEMBER = "member";
    /** Step directories: steps/<id>/ with each task's status file. */
    static final String STEPS = "steps";

    /**
     * What sluice-stepd wrote when the script ended: exit code, signal, the CPU time and peak RSS of the process
     * tree it waited for; {@code error} when the step could not be set up (then nothing ran).
     */
    public record ExitStatus(int exitCode, int signal, long cpuUserMs, long cpuSystemMs, long maxRssKb, String error,
                             Instant time) {
    }

    public Path file(String name) {
        return path.resolve(name);
    }

    public boolean has(String name) {
        return Files.exists(file(name));
    }

    public void writeAtomically(String name, String text) throws IOException {
        Path tmp = file(name + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public Optional<String> read(String name) {
        try {
            return Optional.of(Files.readString(file(name), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public Optional<LaunchRequested> launch() {
        try {
            return Optional.of(Json.MAPPER.readValue(file(LAUNCH).toFile(), LaunchRequested.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The launcher's pid and start ticks, if the agent got as far as writing them. */
    public Optional<long[]> wrapperPid() {
        return read(WRAPPER_PID).map(s -> s.split("\\s+")).filter(f -> f.length == 2)
                .map(f -> new long[]{Long.parseLong(f[0]), Long.parseLong(f[1])});
    }

    public Optional<Long> scriptPid() {
        return read(SCRIPT_PID).map(Long::parseLong);
    }

    /** What sluice-stepd wrote when the script ended (or could not start); empty while it runs. */
    public Optional<ExitStatus> status() {
        Optional<String> text = read(STATUS);
        if (text.isEmpty() || text.get().isEmpty()) {
            return Optional.empty();
        }
        StepStatus s = StepStatus.parse(text.get());
        Instant time;
        try {
            time = Files.getLastModifiedTime(file(STATUS)).toInstant();
        } catch (IOException e) {
            time = Instant.now();
        }
        return Optional.of(new ExitStatus(s.exitCode(), s.signal(), s.userMs(), s.systemMs(), s.maxRssKb(),
                s.error().orElse(null), time));
    }

    /** Appends a line to the job's error file, as slurmstepd does for cancellations and time limits. */
    public void tellJob(String line) {
        read(STDERR_PATH).ifPresent(p -> {
            try {
                Files.writeString(Path.of(p), line + "\n", StandardOpenOption.APPEND);
            } catch (IOException ignored) {
                // the job removed its own error file: nothing to tell it through
            }
        });
    }
}
