package dev.sluice.cli.sacct;

import dev.sluice.cli.common.SlurmText;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * sacct's --format fields ({@code JobID,JobName%20,...}) with Slurm's default widths (negative: left-justified),
 * and the three output modes: fixed columns, --parsable (trailing delimiter) and --parsable2.
 */
public final class SacctFormat {
    public static final String DEFAULT = "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode";

    /** How a field reads a job row, or a step row (with its job): null prints blank. */
    record FieldDef(String name, int width, BiFunction<SacctRecord, ZoneId, String> job,
                    StepValue step) {
    }

    @FunctionalInterface
    interface StepValue {
        String of(SacctRecord job, SacctRecord.Step step, ZoneId zone);
    }

    record Column(FieldDef def, int width) {
    }

    private static final List<FieldDef> FIELDS = List.of(
            new FieldDef("JobID", -12, (j, z) -> j.jobId(), (j, s, z) -> s.jobIdFull()),
            new FieldDef("JobIDRaw", -12, (j, z) -> j.jobIdRaw() != null ? j.jobIdRaw() : j.jobId(),
                    (j, s, z) -> s.jobIdFull()),
            new FieldDef("JobName", 10, (j, z) -> j.jobName(), (j, s, z) -> s.stepId()),
            new FieldDef("Partition", 10, (j, z) -> j.partition(), (j, s, z) -> null),
            new FieldDef("Account", 10, (j, z) -> j.account(), (j, s, z) -> j.account()),
            new FieldDef("User", 9, (j, z) -> j.user(), (j, s, z) -> null),
            new FieldDef("UID", 6, (j, z) -> str(j.uid()), (j, s, z) -> null),
            new FieldDef("Group", 9, (j, z) -> j.group(), (j, s, z) -> null),
            new FieldDef("GID", 6, (j, z) -> str(j.gid()), (j, s, z) -> null),
            new FieldDef("AllocCPUS", 10, (j, z) -> str(j.allocCpus()), (j, s, z) -> str(j.allocCpus())),
            new FieldDef("ReqCPUS", 8, (j, z) -> str(j.reqCpus()), (j, s, z) -> null),
            new FieldDef("State", 10, (j, z) -> j.state(), (j, s, z) -> s.state()),
            new FieldDef("ExitCode", 8, (j, z) -> j.exitCode(), (j, s, z) -> s.exitCode()),
            new FieldDef("Elapsed", 10, (j, z) -> elapsed(j.elapsedSeconds()), (j, s, z) -> elapsed(s.elapsedSeconds())),
            new FieldDef("Submit", 19, (j, z) -> time(j.submit(), z, "Unknown"), (j, s, z) -> time(j.submit(), z, "Unknown")),
            new FieldDef("Start", 19, (j, z) -> time(j.start(), z, "Unknown"), (j, s, z) -> time(s.start(), z, "Unknown")),
            new FieldDef("End", 19, (j, z) -> time(j.end(), z, "Unknown"), (j, s, z) -> time(s.end(), z, "Unknown")),
            new FieldDef("Timelimit", 10, (j, z) -> SlurmText.mins2time(j.timelimitMinutes()), (j, s, z) -> null),
            new FieldDef("NodeList", -15, (j, z) -> j.nodeList() == null ? "None assigned" : j.nodeList(),
                    (j, s, z) -> s.nodeList()),
            new FieldDef("ReqMem", 10, (j, z) -> j.reqMemMb() == null ? null : SlurmText.size(j.reqMemMb(), 'M'),
                    (j, s, z) -> null),
            new FieldDef("MaxRSS", 10, (j, z) -> j.maxRssKb() == null ? null : SlurmText.size(j.maxRssKb(), 'K'),
                    (j, s, z) -> s.maxRssKb() == null ? null : SlurmText.size(s.maxRssKb(), 'K')),
            new FieldDef("TotalCPU", 10, (j, z) -> j.totalCpuMs() == null ? null : SlurmText.cpuTime(j.totalCpuMs()),
                    (j, s, z) -> s.totalCpuMs() == null ? null : SlurmText.cpuTime(s.totalCpuMs())),
            new FieldDef("WorkDir", -15, (j, z) -> j.workDir(), (j, s, z) -> null),
            new FieldDef("AllocTRES", -10, (j, z) -> j.allocTres(), (j, s, z) -> null),
            new FieldDef("ReqTRES", -10, (j, z) -> j.reqTres(), (j, s, z) -> null));

    public enum Mode { FIXED, PARSABLE, PARSABLE2 }

    private final List<Column> columns;

    private SacctFormat(List<Column> columns) {
        this.columns = columns;
    }

    /** Field names are case-insensitive; {@code Name%N} sets the width (negative: left-justified). */
    public static SacctFormat parse(String format) {
        List<Column> cols = new ArrayList<>();
        for (String raw : format.split(",")) {
            String item = raw.trim();
            if (item.isEmpty()) {
                continue;
            }
            String name = item;
            Integer width = null;
            int pct = item.indexOf('%');
            if (pct >= 0) {
                name = item.substring(0, pct);
                try {
                    width = Integer.parseInt(item.substring(pct + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Invalid field width in: " + item);
                }
            }
            FieldDef def = find(name);
            if (def == null) {
                throw new IllegalArgumentException("Invalid field requested: \"" + name + "\"");
            }
            cols.add(new Column(def, width == null || width == 0 ? def.width() : width));
        }
        if (cols.isEmpty()) {
            throw new IllegalArgumentException("No fields requested");
        }
        return new SacctFormat(cols);
    }

    private static FieldDef find(String name) {
        for (FieldDef f : FIELDS) {
            if (f.name().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        return null;
    }

    public List<String> render(List<SacctRecord> records, boolean header, boolean withSteps, Mode mode,
                               String delimiter, ZoneId zone) {
        List<String> lines = new ArrayList<>();
        if (header) {
            lines.add(line(columns.stream().map(c -> c.def().name()).toList(), mode, delimiter, true));
            if (mode == Mode.FIXED) {
                StringBuilder sb = new StringBuilder();
                for (Column c : columns) {
                    sb.append("-".repeat(Math.abs(c.width()))).append(' ');
                }
                lines.add(sb.toString());
            }
        }
        for (SacctRecord r : records) {
            lines.add(line(columns.stream().map(c -> c.def().job().apply(r, zone)).toList(), mode, delimiter, false));
            if (withSteps) {
                for (SacctRecord.Step s : r.stepsOrEmpty()) {
                    lines.add(line(columns.stream().map(c -> c.def().step().of(r, s, zone)).toList(), mode, delimiter,
                            false));
                }
            }
        }
        return lines;
    }

    private String line(List<String> values, Mode mode, String delimiter, boolean header) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            switch (mode) {
                case FIXED -> {
                    int w = columns.get(i).width();
                    // The header is cut but never marked with '+'; values are.
                    sb.append(header ? SlurmText.squeueField(v, Math.abs(w), w >= 0) : SlurmText.sacctField(v, w))
                            .append(' ');
                }
                case PARSABLE -> sb.append(v == null ? "" : v).append(delimiter);
                case PARSABLE2 -> {
                    sb.append(v == null ? "" : v);
                    if (i < values.size() - 1) {
                        sb.append(delimiter);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static String elapsed(Long secs) {
        return secs == null ? null : SlurmText.elapsed(secs);
    }

    private static String time(String iso, ZoneId zone, String none) {
        Instant t = SlurmText.parseInstant(iso, zone);
        return t == null ? none : SlurmText.time(t, zone);
    }
}
