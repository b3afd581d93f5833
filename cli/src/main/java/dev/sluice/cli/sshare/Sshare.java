package dev.sluice.cli.sshare;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Getopt;
import dev.sluice.cli.common.SlurmText;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sshare: the association tree with shares, decayed usage and the fairshare factor, from accounting's
 * {@code /api/v1/sshare}. Like Slurm's, it shows every account and only the caller's user lines unless {@code -a}
 * or {@code -u} says otherwise. Columns are Slurm's (src/sshare/process.c): the default set, {@code -l} adding
 * NormUsage, LevelFS (Fair Tree only), GrpTRESMins and TRESRunMins, {@code -m} adding Partition, or
 * {@code -o/--format} naming fields by any unambiguous prefix with an optional {@code %width}; {@code -A},
 * {@code -U} (user lines only), {@code -n}, {@code -p}, {@code -P}.
 */
public final class Sshare {
    private static final List<Getopt.Opt> OPTS = List.of(
            Getopt.Opt.flag('a', "all"),
            Getopt.Opt.flag('l', "long"),
            Getopt.Opt.flag('m', "partition"),
            Getopt.Opt.flag('U', "Users"),
            Getopt.Opt.arg('A', "accounts"),
            Getopt.Opt.arg('u', "users"),
            Getopt.Opt.arg('o', "format"),
            Getopt.Opt.flag('n', "noheader"),
            Getopt.Opt.flag('p', "parsable"),
            Getopt.Opt.flag('P', "parsable2"));

    /** Slurm's field table, in its order (the order prefixes are matched in); width negative = left-justified. */
    private static final List<Column> FIELDS = List.of(
            new Column("Account", -20), new Column("Cluster", 10), new Column("EffectvUsage", 13),
            new Column("FairShare", 10), new Column("GrpTRESMins", 30), new Column("GrpTRESRaw", 30),
            new Column("ID", 6), new Column("LevelFS", 10), new Column("NormShares", 11),
            new Column("NormUsage", 11), new Column("Partition", 12), new Column("RawShares", 10),
            new Column("RawUsage", 11), new Column("TRESRunMins", 30), new Column("User", 10));

    private record Column(String name, int width) {
    }

    private Sshare() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        Getopt.Parsed o;
        try {
            o = Getopt.parse("sshare", OPTS, argv);
        } catch (Getopt.UsageException e) {
            ctx.err().println(e.getMessage());
            return 1;
        }
        Map<String, String> query = new LinkedHashMap<>();
        if (o.has("accounts")) {
            query.put("accounts", String.join(",", o.values().get("accounts")));
        }
        if (o.has("users")) {
            query.put("users", String.join(",", o.values().get("users")));
        } else if (!o.has("all")) {
            query.put("users", ctx.identity().user());
        }
        Api.Response r;
        try {
            r = api.get(ctx.endpoints().accounting(), "/api/v1/sshare", query);
        } catch (Api.Unreachable e) {
            ctx.err().println("sshare: error: Problem talking to the database: Connection refused");
            return 1;
        }
        if (!r.ok()) {
            ctx.err().println(r.error());
            return 1;
        }
        JsonNode j;
        try {
            j = Api.JSON.readTree(r.body());
        } catch (IOException e) {
            ctx.err().println("sshare: error: " + e.getMessage());
            return 1;
        }
        boolean fairTree = j.path("fairTree").asBoolean(true);
        String format;
        if (o.has("format")) {
            format = String.join(",", o.values().get("format"));
        } else {
            // Slurm's defaults (process.c); "A", "P", "Eff" are prefixes of Account, Partition, EffectvUsage
            String part = o.has("partition") ? "P," : "";
            format = "A,User," + part + "RawShares,NormShares,RawUsage,"
                    + (o.has("long") ? "NormUsage,Eff,Fairshare," + (fairTree ? "LevelFS," : "")
                    + "GrpTRESMins,TRESRunMins" : "Eff,Fairshare");
        }
        List<Column> cols = new ArrayList<>();
        for (String f : format.split(",")) {
            if (f.isBlank()) {
                continue;
            }
            String name = f.trim();
            Integer width = null;
            int pct = name.indexOf('%');
            if (pct >= 0) {
                try {
                    width = Integer.parseInt(name.substring(pct + 1));
                } catch (NumberFormatException e) {
                    width = null;
                }
                name = name.substring(0, pct);
            }
            Column c = field(name);
            if (c == null) {
                ctx.err().println("sshare: error: Invalid field requested: \"" + name + "\"");
                return 1;
            }
            cols.add(width == null || width == 0 ? c : new Column(c.name(), width));
        }
        String delimiter = o.has("parsable") || o.has("parsable2") ? "|" : null;
        boolean trailing = o.has("parsable");
        StringBuilder sb = new StringBuilder();
        if (!o.has("noheader")) {
            List<String> names = cols.stream().map(Column::name).toList();
            // the header is right-justified even where the values are not, as in Slurm
            line(sb, cols, names, delimiter, trailing, true);
            if (delimiter == null) {
                for (Column c : cols) {
                    sb.append("-".repeat(Math.abs(c.width()))).append(' ');
                }
                sb.append('\n');
            }
        }
        String cluster = j.path("cluster").asText("");
        for (JsonNode l : j.path("lines")) {
            boolean user = !l.path("user").asText("").isEmpty();
            if (o.has("Users") && !user) {
                continue;
            }
            List<String> v = new ArrayList<>();
            for (Column c : cols) {
                v.add(value(c.name(), l, user, cluster, delimiter == null, fairTree));
            }
            line(sb, cols, v, delimiter, trailing, false);
        }
        ctx.out().print(sb);
        return 0;
    }

    /** Slurm matches a requested name as a case-insensitive prefix of each field in table order. */
    private static Column field(String requested) {
        String lower = requested.toLowerCase(Locale.ROOT);
        for (Column c : FIELDS) {
            if (c.name().toLowerCase(Locale.ROOT).startsWith(lower)) {
                return c;
            }
        }
        return null;
    }

    private static String value(String field, JsonNode l, boolean user, String cluster, boolean indent,
                                boolean fairTree) {
        return switch (field) {
            case "Account" -> (indent ? " ".repeat(Math.max(0, l.path("level").asInt())) : "")
                    + l.path("account").asText();
            case "Cluster" -> cluster;
            case "User" -> l.path("user").asText("");
            case "Partition" -> l.path("partition").asText("");
            case "RawShares" -> l.path("rawShares").isNumber() ? Long.toString(l.path("rawShares").asLong()) : "";
            case "NormShares" -> fraction(l.path("normShares"));
            case "RawUsage" -> Long.toString(l.path("rawUsage").asLong());
            case "NormUsage" -> fraction(l.path("normUsage"));
            case "EffectvUsage" -> fraction(l.path("effectvUsage"));
            // Fair Tree prints FairShare on user lines only
            case "FairShare" -> user || !fairTree ? fraction(l.path("fairShare")) : "";
            case "LevelFS" -> fraction(l.path("levelFs"));
            case "GrpTRESMins" -> l.path("grpTresMins").asText("");
            case "GrpTRESRaw" -> l.path("grpTresRaw").asText("");
            case "TRESRunMins" -> l.path("tresRunMins").asText("");
            case "ID" -> l.path("id").isNumber() ? l.path("id").asText() : "";
            default -> "";
        };
    }

    /** Slurm prints these with %f; an infinite LevelFS (no usage) is "inf". */
    static String fraction(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "";
        }
        double d = n.isTextual() ? Double.parseDouble(n.asText()) : n.asDouble();
        if (Double.isInfinite(d)) {
            return "inf";
        }
        return String.format(Locale.ROOT, "%f", d);
    }

    private static void line(StringBuilder sb, List<Column> cols, List<String> values, String delimiter,
                             boolean trailing, boolean header) {
        for (int i = 0; i < values.size(); i++) {
            if (delimiter != null) {
                sb.append(values.get(i));
                if (trailing || i < values.size() - 1) {
                    sb.append(delimiter);
                }
            } else {
                Column c = cols.get(i);
                sb.append(SlurmText.sacctField(values.get(i), header ? Math.abs(c.width()) : c.width()))
                        .append(' ');
            }
        }
        sb.append('\n');
    }
}
