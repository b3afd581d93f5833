package dev.sluice.cli.sprio;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Getopt;
import dev.sluice.cli.common.Getopt.Opt;
import dev.sluice.cli.common.SlurmText;
import dev.sluice.cli.scontrol.Controller;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * sprio: each pending job's priority and the weighted factors it is made of (age, fairshare, job size, partition,
 * QoS, nice, TRES), from the scheduler's live jobs ({@code GET /api/v1/jobs}); {@code -w} the configured weights
 * ({@code GET /api/v1/priority/weights}).
 */
public final class Sprio {
    static final List<Opt> OPTIONS = List.of(
            Opt.arg('j', "jobs"), Opt.arg('u', "user"), Opt.arg('p', "partition"), Opt.flag('l', "long"),
            Opt.flag('w', "weights"), Opt.flag('h', "noheader"), Opt.flag('n', "norm"), Opt.arg('o', "format"),
            Opt.flag('\0', "help"), Opt.flag('\0', "usage"));

    static final String DEFAULT = "%.15i %9r %.8u %.10Y %.10A %.10F %.10J %.10P %.10Q %.6N";
    static final String LONG = "%.15i %9r %.8u %.10o %.10Y %.10S %.10A %.10F %.10J %.10P %.10Q %.6N %.20T";
    static final String WEIGHTS_PATH = "/api/v1/priority/weights";

    private Sprio() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        Getopt.Parsed o;
        try {
            o = Getopt.parse("sprio", OPTIONS, argv);
        } catch (Getopt.UsageException e) {
            ctx.err().println(e.getMessage());
            ctx.err().println("Try \"sprio --help\" for more information");
            return 1;
        }
        if (o.has("help") || o.has("usage")) {
            ctx.out().println("Usage: sprio [-j jobs] [-u users] [-p partitions] [-l] [-n] [-w] [-h] [-o format]");
            return 0;
        }
        List<Column> columns;
        try {
            columns = Column.parse(o.has("format") ? o.last("format") : o.has("long") ? LONG : DEFAULT);
        } catch (IllegalArgumentException e) {
            ctx.err().println("sprio: error: " + e.getMessage());
            return 1;
        }
        Set<String> jobs = new HashSet<>();
        for (String j : o.list("jobs")) {
            if (!j.matches("\\d+")) {
                ctx.err().println("sprio: error: Invalid job id: " + j);
                return 1;
            }
            jobs.add(j);
        }
        Set<String> users = new LinkedHashSet<>(o.list("user"));
        Set<String> parts = new LinkedHashSet<>(o.list("partition"));
        Controller c = new Controller(ctx, api);
        List<String> lines = new ArrayList<>();
        try {
            if (o.has("weights")) {
                JsonNode w = c.get(WEIGHTS_PATH, Map.of());
                JsonNode weights = w.has("weights") ? w.get("weights") : w;
                if (!o.has("noheader")) {
                    lines.add(Column.line(columns, null, true));
                }
                lines.add(Column.weights(columns, weights));
                lines.forEach(ctx.out()::println);
                return 0;
            }
            List<JsonNode> rows = new ArrayList<>();
            JsonNode all = c.get("/api/v1/jobs", Map.of());
            (all.isArray() ? all : all.path("jobs")).forEach(rows::add);
            rows.removeIf(j -> !Controller.text(j, "JobState", "PENDING").equalsIgnoreCase("PENDING")
                    || !jobs.isEmpty() && !jobs.contains(Controller.text(j, "JobId", ""))
                    || !users.isEmpty() && !users.contains(Controller.text(j, "UserId", ""))
                    || !parts.isEmpty() && !parts.contains(Controller.text(j, "Partition", "")));
            rows.sort(Comparator.comparingLong(j -> Controller.num(j, "JobId", 0)));
            if (rows.isEmpty() && !jobs.isEmpty()) {
                ctx.err().println("Unable to find jobs matching user/id(s) specified");
                return 1;
            }
            if (!o.has("noheader")) {
                lines.add(Column.line(columns, null, true));
            }
            for (JsonNode j : rows) {
                lines.add(Column.line(columns, new Row(j, o.has("norm")), false));
            }
        } catch (Api.Unreachable e) {
            ctx.err().println("sprio: error: " + e.getMessage());
            return 1;
        } catch (Controller.Failed e) {
            ctx.err().println("sprio: error: " + e.getMessage());
            return 1;
        }
        lines.forEach(ctx.out()::println);
        return 0;
    }

    /** One job's figures: the factors object may be under any of the names below, keys in any case. */
    record Row(JsonNode job, boolean normalized) {
        String factor(String name) {
            JsonNode f = null;
            for (String key : normalized ? List.of("NormalizedFactors", "normalizedFactors")
                    : List.of("PriorityFactors", "priorityFactors", "factors", "Factors")) {
                if (Controller.has(job, key)) {
                    f = job.get(key);
                    break;
                }
            }
            if (f == null) {
                return "0";
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = f.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().replace("_", "").equalsIgnoreCase(name)) {
                    return number(e.getValue(), normalized);
                }
            }
            return normalized ? "0.0000000" : "0";
        }
    }

    static String number(JsonNode v, boolean normalized) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (normalized) {
            return "%.7f".formatted(v.asDouble());
        }
        double d = v.asDouble();
        return d == Math.rint(d) ? Long.toString((long) d) : Long.toString(Math.round(d));
    }

    record Column(char letter, int width, boolean right) {
        static List<Column> parse(String format) {
            List<Column> out = new ArrayList<>();
            for (String tok : format.trim().split("\\s+")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("%(\\.?)-?(\\d*)([a-zA-Z])").matcher(tok);
                if (!m.matches() || header(m.group(3).charAt(0)) == null) {
                    throw new IllegalArgumentException("Invalid format specification: " + tok);
                }
                out.add(new Column(m.group(3).charAt(0), m.group(2).isEmpty() ? 0 : Integer.parseInt(m.group(2)),
                        !m.group(1).isEmpty()));
            }
            return out;
        }

        static String header(char c) {
            return switch (c) {
                case 'i' -> "JOBID";
                case 'r' -> "PARTITION";
                case 'u' -> "USER";
                case 'o' -> "ACCOUNT";
                case 'Y', 'y' -> "PRIORITY";
                case 'S' -> "SITE";
                case 'A', 'a' -> "AGE";
                case 'F', 'f' -> "FAIRSHARE";
                case 'J', 'j' -> "JOBSIZE";
                case 'P', 'p' -> "PARTITION";
                case 'Q', 'q' -> "QOS";
                case 'n' -> "QOSNAME";
                case 'N' -> "NICE";
                case 'T', 't' -> "TRES";
                case 'B', 'b' -> "ASSOC";
                default -> null;
            };
        }

        /** The factor key each column reads, as the scheduler names it (case and underscores ignored). */
        static String factorKey(char c) {
            return switch (Character.toUpperCase(c)) {
                case 'S' -> "site";
                case 'A' -> "age";
                case 'F' -> "fairshare";
                case 'J' -> "jobsize";
                case 'P' -> "partition";
                case 'Q' -> "qos";
                case 'N' -> "nice";
                case 'T' -> "tres";
                case 'B' -> "assoc";
                default -> null;
            };
        }

        String value(Row r) {
            JsonNode j = r.job();
            return switch (letter) {
                case 'i' -> Controller.text(j, "JobId", "");
                case 'r' -> Controller.text(j, "Partition", "");
                case 'u' -> Controller.text(j, "UserId", "");
                case 'o' -> Controller.text(j, "Account", "");
                case 'n' -> Controller.text(j, "QOS", "");
                case 'Y', 'y' -> Controller.text(j, "Priority", "0");
                case 'N' -> Controller.text(j, "Nice", "0");
                default -> r.factor(factorKey(letter));
            };
        }

        static String line(List<Column> cols, Row r, boolean header) {
            StringBuilder sb = new StringBuilder();
            for (Column c : cols) {
                if (!sb.isEmpty()) {
                    sb.append(' ');
                }
                sb.append(SlurmText.squeueField(header ? header(c.letter()) : c.value(r), c.width(), c.right()));
            }
            return sb.toString().stripTrailing();
        }

        /** sprio -w: the JOBID column says "Weights", each factor column its weight, the others stay blank. */
        static String weights(List<Column> cols, JsonNode weights) {
            StringBuilder sb = new StringBuilder();
            for (Column c : cols) {
                if (!sb.isEmpty()) {
                    sb.append(' ');
                }
                String v = "";
                if (c.letter() == 'i') {
                    v = "Weights";
                } else if (factorKey(c.letter()) != null && c.letter() != 'N') {
                    for (Iterator<Map.Entry<String, JsonNode>> it = weights.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        if (e.getKey().replace("_", "").replaceFirst("(?i)^priorityweight", "")
                                .equalsIgnoreCase(factorKey(c.letter()))) {
                            v = number(e.getValue(), false);
                        }
                    }
                }
                sb.append(SlurmText.squeueField(v, c.width(), c.right()));
            }
            return sb.toString().stripTrailing();
        }
    }

}
