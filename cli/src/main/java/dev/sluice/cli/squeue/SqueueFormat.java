package dev.sluice.cli.squeue;

import dev.sluice.cli.common.SlurmText;
import dev.sluice.contracts.job.JobState;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** squeue's -o format language ({@code %.18i %-20j %R ...}) and the text it prints for each job. */
public final class SqueueFormat {
    public static final String DEFAULT = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";
    public static final String LONG = "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R";
    /** squeue --start: pending jobs with the start the scheduler expects for them. */
    public static final String START = "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R";

    sealed interface Part permits Literal, Field {
    }

    record Literal(String text) implements Part {
    }

    record Field(char letter, int width, boolean right) implements Part {
    }

    private final List<Part> parts;

    private SqueueFormat(List<Part> parts) {
        this.parts = parts;
    }

    public static SqueueFormat parse(String format) {
        List<Part> parts = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c != '%') {
                lit.append(c);
                i++;
                continue;
            }
            if (i + 1 < format.length() && format.charAt(i + 1) == '%') {
                lit.append('%');
                i += 2;
                continue;
            }
            i++;
            boolean right = false;
            if (i < format.length() && format.charAt(i) == '.') {
                right = true;
                i++;
            } else if (i < format.length() && format.charAt(i) == '-') {
                // Left is squeue's default; printf's explicit '-' is accepted as users write it.
                i++;
            }
            int width = 0;
            while (i < format.length() && Character.isDigit(format.charAt(i))) {
                width = width * 10 + (format.charAt(i++) - '0');
            }
            if (i >= format.length()) {
                throw new IllegalArgumentException("Invalid job format specification: " + format);
            }
            char letter = format.charAt(i++);
            if (header(letter) == null) {
                throw new IllegalArgumentException("Invalid job format specification: " + letter);
            }
            if (!lit.isEmpty()) {
                parts.add(new Literal(lit.toString()));
                lit.setLength(0);
            }
            parts.add(new Field(letter, width, right));
        }
        if (!lit.isEmpty()) {
            parts.add(new Literal(lit.toString()));
        }
        return new SqueueFormat(parts);
    }

    /** squeue -O/--Format: {@code JobID,Name:30,Priority:.10}; a field without a size is 20 wide, left-justified. */
    public static SqueueFormat parseLong(String format) {
        List<Part> parts = new ArrayList<>();
        for (String item : format.split(",")) {
            String name = item;
            String size = "";
            int colon = item.indexOf(':');
            if (colon >= 0) {
                name = item.substring(0, colon);
                size = item.substring(colon + 1);
            }
            Character letter = LONG_NAMES.get(name.trim().toLowerCase(Locale.ROOT));
            if (letter == null) {
                throw new IllegalArgumentException("Invalid job format specification: " + name);
            }
            boolean right = size.startsWith(".");
            String digits = right ? size.substring(1) : size;
            int width;
            try {
                width = digits.isEmpty() ? 20 : Integer.parseInt(digits);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Invalid job format specification: " + item);
            }
            // One space between fields, so that a value filling its width does not run into the next.
            if (!parts.isEmpty()) {
                parts.add(new Literal(" "));
            }
            parts.add(new Field(letter, width, right));
        }
        return new SqueueFormat(parts);
    }

    private static final java.util.Map<String, Character> LONG_NAMES = java.util.Map.ofEntries(
            java.util.Map.entry("jobid", 'i'), java.util.Map.entry("jobarrayid", 'i'),
            java.util.Map.entry("arrayjobid", 'F'), java.util.Map.entry("arraytaskid", 'K'),
            java.util.Map.entry("partition", 'P'), java.util.Map.entry("name", 'j'),
            java.util.Map.entry("username", 'u'), java.util.Map.entry("userid", 'U'),
            java.util.Map.entry("groupid", 'G'), java.util.Map.entry("statecompact", 't'),
            java.util.Map.entry("state", 'T'), java.util.Map.entry("timeused", 'M'),
            java.util.Map.entry("timelimit", 'l'), java.util.Map.entry("timeleft", 'L'),
            java.util.Map.entry("numnodes", 'D'), java.util.Map.entry("numcpus", 'C'),
            java.util.Map.entry("reasonlist", 'R'), java.util.Map.entry("nodelist", 'N'),
            java.util.Map.entry("reason", 'r'), java.util.Map.entry("submittime", 'V'),
            java.util.Map.entry("starttime", 'S'), java.util.Map.entry("endtime", 'e'),
            java.util.Map.entry("account", 'a'), java.util.Map.entry("qos", 'q'),
            java.util.Map.entry("minmemory", 'm'), java.util.Map.entry("workdir", 'Z'),
            java.util.Map.entry("mincpus", 'c'), java.util.Map.entry("priority", 'Q'),
            java.util.Map.entry("prioritylong", 'Q'), java.util.Map.entry("nice", 'y'),
            java.util.Map.entry("schednodes", 'Y'));

    /** Whether a column needs the scheduler's record (priority, nice, expected start, array ids). */
    boolean needsScheduler() {
        for (Part p : parts) {
            if (p instanceof Field f && "QySFKi".indexOf(f.letter()) >= 0) {
                return true;
            }
        }
        return false;
    }

    static String header(char letter) {
        return switch (letter) {
            case 'i', 'A' -> "JOBID";
            case 'P' -> "PARTITION";
            case 'j' -> "NAME";
            case 'u' -> "USER";
            case 't' -> "ST";
            case 'T' -> "STATE";
            case 'M' -> "TIME";
            case 'l' -> "TIME_LIMIT";
            case 'L' -> "TIME_LEFT";
            case 'D' -> "NODES";
            case 'C' -> "CPUS";
            case 'R' -> "NODELIST(REASON)";
            case 'N' -> "NODELIST";
            case 'r' -> "REASON";
            case 'V' -> "SUBMIT_TIME";
            case 'S' -> "START_TIME";
            case 'e' -> "END_TIME";
            case 'a' -> "ACCOUNT";
            case 'q' -> "QOS";
            case 'U' -> "UID";
            case 'G' -> "GID";
            case 'm' -> "MIN_MEMORY";
            case 'Z' -> "WORK_DIR";
            case 'c' -> "MIN_CPUS";
            case 'Q' -> "PRIORITY";
            case 'y' -> "NICE";
            case 'F' -> "ARRAY_JOB_ID";
            case 'K' -> "ARRAY_TASK_ID";
            case 'Y' -> "SCHEDNODES";
            default -> null;
        };
    }

    public String header() {
        return line(null, null, null);
    }

    public String row(JobRow job, Instant now, ZoneId zone) {
        return line(job, now, zone);
    }

    private String line(JobRow job, Instant now, ZoneId zone) {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            switch (p) {
                case Literal l -> sb.append(l.text());
                case Field f -> sb.append(SlurmText.squeueField(
                        job == null ? header(f.letter()) : value(f.letter(), job, now, zone), f.width(), f.right()));
            }
        }
        return sb.toString().stripTrailing();
    }

    static String value(char letter, JobRow j, Instant now, ZoneId zone) {
        Instant start = SlurmText.parseInstant(j.startTime(), zone);
        Instant end = SlurmText.parseInstant(j.endTime(), zone);
        return switch (letter) {
            case 'i' -> j.displayId();
            case 'A' -> Long.toString(j.jobId());
            case 'Q' -> j.priority() == null ? "N/A" : Long.toString(j.priority());
            case 'y' -> j.nice() == null ? "0" : Integer.toString(j.nice());
            case 'F' -> j.arrayJobId() == null ? Long.toString(j.jobId()) : j.arrayJobId();
            case 'K' -> j.arrayTaskId() == null ? "N/A" : j.arrayTaskId();
            case 'Y' -> "(null)";
            case 'P' -> nz(j.partition());
            case 'j' -> nz(j.name());
            case 'u' -> nz(j.user());
            case 't' -> j.stateShort() != null ? j.stateShort() : state(j).shortName();
            case 'T' -> nz(j.state());
            case 'M' -> SlurmText.secs2time(elapsedSeconds(start, end, now));
            case 'l' -> j.timeLimitMinutes() == null ? "UNLIMITED" : SlurmText.secs2time(j.timeLimitMinutes() * 60);
            case 'L' -> j.timeLimitMinutes() == null ? "UNLIMITED"
                    : SlurmText.secs2time(Math.max(0, j.timeLimitMinutes() * 60 - elapsedSeconds(start, end, now)));
            case 'D' -> num(j.numNodes());
            case 'C' -> num(j.numCpus());
            case 'R' -> showsReason(j) ? "(" + reason(j) + ")" : nz(j.nodes());
            case 'N' -> nz(j.nodes());
            case 'r' -> reason(j);
            case 'V' -> timeOr(SlurmText.parseInstant(j.submitTime(), zone), zone, "N/A");
            case 'S' -> timeOr(start != null ? start : SlurmText.parseInstant(j.expectedStart(), zone), zone, "N/A");
            case 'e' -> timeOr(end, zone, "N/A");
            case 'a' -> nz(j.account());
            case 'q' -> nz(j.qos());
            case 'U' -> j.uid() == null ? "" : Long.toString(j.uid());
            case 'G' -> j.gid() == null ? "" : Long.toString(j.gid());
            case 'm' -> j.memMb() == null || j.memMb() == 0 ? "0" : SlurmText.size(j.memMb(), 'M');
            case 'Z' -> nz(j.workDir());
            case 'c' -> num(j.cpusPerTask());
            default -> "";
        };
    }

    /** Slurm shows the reason instead of nodes for pending jobs and for jobs that ended in failure or timeout. */
    private static boolean showsReason(JobRow j) {
        JobState s = state(j);
        return s == JobState.PENDING || s == JobState.TIMEOUT || s == JobState.FAILED;
    }

    private static String reason(JobRow j) {
        return j.reason() == null || j.reason().isBlank() ? "None" : j.reason();
    }

    static JobState state(JobRow j) {
        try {
            return JobState.parse(j.state() == null ? "" : j.state());
        } catch (IllegalArgumentException e) {
            return JobState.PENDING;
        }
    }

    private static long elapsedSeconds(Instant start, Instant end, Instant now) {
        if (start == null) {
            return 0;
        }
        return Math.max(0, Duration.between(start, end != null ? end : now).toSeconds());
    }

    private static String timeOr(Instant t, ZoneId zone, String none) {
        return t == null ? none : SlurmText.time(t, zone);
    }

    private static String num(Integer n) {
        return n == null ? "" : n.toString();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }
}
