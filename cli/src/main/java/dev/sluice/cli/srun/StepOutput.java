package dev.sluice.cli.srun;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Renders a step's NDJSON stream as srun does: each task's stdout and stderr to srun's own, whole lines at a time
 * per task (so tasks' lines never mix mid-line) unless {@code -u}, prefixed with the task number under
 * {@code --label}; a task that fails is reported as Slurm reports it; the exit code is the step's (Slurm: the
 * highest task exit code, 128+signal for a task killed by a signal).
 */
final class StepOutput {
    private final PrintStream out;
    private final PrintStream err;
    private final boolean label;
    private final boolean unbuffered;
    private final Map<Integer, StringBuilder> partialOut = new HashMap<>();
    private final Map<Integer, StringBuilder> partialErr = new HashMap<>();
    private final TreeSet<Integer> running = new TreeSet<>();
    private int labelWidth = 1;
    private long stepId = -1;
    private Integer taskRc;
    private JsonNode finished;

    StepOutput(PrintStream out, PrintStream err, boolean label, boolean unbuffered, int expectedTasks) {
        this.out = out;
        this.err = err;
        this.label = label;
        this.unbuffered = unbuffered;
        tasks(expectedTasks);
    }

    private void tasks(int n) {
        labelWidth = Integer.toString(Math.max(0, n - 1)).length();
        running.clear();
        for (int i = 0; i < n; i++) {
            running.add(i);
        }
    }

    long stepId() {
        return stepId;
    }

    boolean finished() {
        return finished != null;
    }

    /** Tasks that have not reported their exit, as srun's status line shows them ({@code 0-1,3}). */
    String runningTasks() {
        synchronized (running) {
            return ranges(running);
        }
    }

    int runningCount() {
        synchronized (running) {
            return running.size();
        }
    }

    /** One line of the stream. */
    void event(JsonNode e) {
        switch (e.path("type").asText()) {
            case "started" -> {
                stepId = e.path("stepId").asLong(-1);
                if (e.hasNonNull("ntasks")) {
                    synchronized (running) {
                        tasks(e.get("ntasks").asInt());
                    }
                }
            }
            case "out" -> write(out, partialOut, e.path("task").asInt(), e.path("data").asText(""));
            case "err" -> write(err, partialErr, e.path("task").asInt(), e.path("data").asText(""));
            case "exit" -> taskExit(e);
            case "error" -> {
                flushAll();
                err.println("srun: error: " + stripPrefix(e.path("message").asText("")));
            }
            case "finished" -> {
                flushAll();
                finished = e;
                String state = e.path("state").asText("");
                String detail = e.path("detail").isNull() ? null : e.path("detail").asText(null);
                if (!state.equals("COMPLETED") && detail != null && !detail.isBlank() && !repeatsATaskLine(detail)) {
                    err.println("srun: error: " + stripPrefix(detail));
                }
            }
            default -> {
                // A newer agent's event type: nothing to show.
            }
        }
        out.flush();
        err.flush();
    }

    private void taskExit(JsonNode e) {
        int task = e.path("task").asInt();
        flush(out, partialOut, task);
        flush(err, partialErr, task);
        synchronized (running) {
            running.remove(task);
        }
        int code = e.path("exitCode").asInt(0);
        int signal = e.path("signal").asInt(0);
        String node = e.path("node").asText("?");
        int rc = signal > 0 ? 128 + signal : code;
        taskRc = taskRc == null ? rc : Math.max(taskRc, rc);
        if (signal > 0) {
            err.println("srun: error: " + node + ": task " + task + ": " + signalName(signal));
        } else if (code != 0) {
            err.println("srun: error: " + node + ": task " + task + ": Exited with exit code " + code);
        }
    }

    /** srun's exit code once the stream is over. */
    int exitCode() {
        int rc;
        if (taskRc != null) {
            rc = taskRc;
        } else if (finished != null) {
            int signal = finished.path("signal").asInt(0);
            rc = signal > 0 ? 128 + signal : finished.path("exitCode").asInt(0);
        } else {
            return 1;
        }
        if (rc == 0 && finished != null && !finished.path("state").asText("").equals("COMPLETED")) {
            // A step that did not complete never reports success (e.g. cancelled before any task ran).
            return 1;
        }
        return rc;
    }

    private void write(PrintStream to, Map<Integer, StringBuilder> partial, int task, String data) {
        if (unbuffered && !label) {
            to.print(data);
            return;
        }
        StringBuilder buf = partial.computeIfAbsent(task, t -> new StringBuilder());
        buf.append(data);
        int nl;
        int from = 0;
        while ((nl = buf.indexOf("\n", from)) >= 0) {
            line(to, task, buf.substring(from, nl + 1));
            from = nl + 1;
        }
        buf.delete(0, from);
        if (unbuffered && !buf.isEmpty()) {
            line(to, task, buf.toString());
            buf.setLength(0);
        }
    }

    private void line(PrintStream to, int task, String text) {
        if (label) {
            to.print(String.format("%" + labelWidth + "d: ", task));
        }
        to.print(text);
    }

    private void flush(PrintStream to, Map<Integer, StringBuilder> partial, int task) {
        StringBuilder buf = partial.remove(task);
        if (buf != null && !buf.isEmpty()) {
            line(to, task, buf.toString());
        }
    }

    private void flushAll() {
        for (Integer t : new TreeSet<>(partialOut.keySet())) {
            flush(out, partialOut, t);
        }
        for (Integer t : new TreeSet<>(partialErr.keySet())) {
            flush(err, partialErr, t);
        }
    }

    private static final java.util.regex.Pattern TASK_EXIT =
            java.util.regex.Pattern.compile("task \\d+ on \\S+ exited with exit code \\d+");

    /** A plain non-zero exit is already on its task's own line, as Slurm shows it; anything else is news. */
    private boolean repeatsATaskLine(String detail) {
        return taskRc != null && taskRc != 0 && TASK_EXIT.matcher(detail.strip()).matches();
    }

    static String stripPrefix(String message) {
        return message.startsWith("srun: error: ") ? message.substring("srun: error: ".length()) : message;
    }

    /** strsignal(3)'s words, which srun prints for a task killed by a signal. */
    static String signalName(int signal) {
        return switch (signal) {
            case 1 -> "Hangup";
            case 2 -> "Interrupt";
            case 3 -> "Quit";
            case 4 -> "Illegal instruction";
            case 6 -> "Aborted";
            case 7 -> "Bus error";
            case 8 -> "Floating point exception";
            case 9 -> "Killed";
            case 10 -> "User defined signal 1";
            case 11 -> "Segmentation fault";
            case 12 -> "User defined signal 2";
            case 13 -> "Broken pipe";
            case 14 -> "Alarm clock";
            case 15 -> "Terminated";
            case 24 -> "CPU time limit exceeded";
            default -> "Signal " + signal;
        };
    }

    static String ranges(java.util.SortedSet<Integer> ids) {
        StringBuilder sb = new StringBuilder();
        Integer start = null;
        Integer prev = null;
        for (int id : ids) {
            if (prev != null && id == prev + 1) {
                prev = id;
                continue;
            }
            if (start != null) {
                sb.append(sb.isEmpty() ? "" : ",").append(start.equals(prev) ? start : start + "-" + prev);
            }
            start = id;
            prev = id;
        }
        if (start != null) {
            sb.append(sb.isEmpty() ? "" : ",").append(start.equals(prev) ? start : start + "-" + prev);
        }
        return sb.toString();
    }
}
