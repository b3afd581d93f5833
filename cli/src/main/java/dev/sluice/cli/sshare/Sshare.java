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
 * or {@code -u} says otherwise; {@code -l} adds NormUsage and LevelFS; {@code -A}, {@code -n}, {@code -p},
 * {@code -P}.
 */
public final class Sshare {
    private static final List<Getopt.Opt> OPTS = List.of(
            Getopt.Opt.flag('a', "all"),
            Getopt.Opt.flag('l', "long"),
            Getopt.Opt.arg('A', "accounts"),
            Getopt.Opt.arg('u', "users"),
            Getopt.Opt.flag('n', "noheader"),
            Getopt.Opt.flag('p', "parsable"),
            Getopt.Opt.flag('P', "parsable2"));

    private record Column(String name, int width, boolean left) {
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
        boolean longFormat = o.has("long");
        String delimiter = o.has("parsable") || o.has("parsable2") ? "|" : null;
        boolean trailing = o.has("parsable");
        List<Column> cols = new ArrayList<>(List.of(new Column("Account", 20, true), new Column("User", 10, false),
                new Column("RawShares", 10, false), new Column("NormShares", 11, false),
                new Column("RawUsage", 11, false)));
        if (longFormat) {
            cols.add(new Column("NormUsage", 11, false));
        }
        cols.add(new Column("EffectvUsage", 13, false));
        cols.add(new Column("FairShare", 10, false));
        if (longFormat) {
            cols.add(new Column("LevelFS", 10, false));
        }
        StringBuilder sb = new StringBuilder();
        if (!o.has("noheader")) {
            List<String> names = cols.stream().map(Column::name).toList();
            // the header is right-justified even where the values are not, as in Slurm
            line(sb, cols, names, delimiter, trailing, true);
            if (delimiter == null) {
                for (Column c : cols) {
                    sb.append("-".repeat(c.width())).append(' ');
                }
                sb.append('\n');
            }
        }
        for (JsonNode l : j.path("lines")) {
            boolean user = !l.path("user").asText("").isEmpty();
            String indent = delimiter == null ? " ".repeat(Math.max(0, l.path("level").asInt())) : "";
            List<String> v = new ArrayList<>();
            v.add(indent + l.path("account").asText());
            v.add(l.path("user").asText(""));
            v.add(l.path("rawShares").isNumber() ? Long.toString(l.path("rawShares").asLong()) : "");
            v.add(fraction(l.path("normShares")));
            v.add(Long.toString(l.path("rawUsage").asLong()));
            if (longFormat) {
                v.add(fraction(l.path("normUsage")));
            }
            v.add(fraction(l.path("effectvUsage")));
            v.add(user ? fraction(l.path("fairShare")) : "");
            if (longFormat) {
                v.add(fraction(l.path("levelFs")));
            }
            line(sb, cols, v, delimiter, trailing, false);
        }
        ctx.out().print(sb);
        return 0;
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
                sb.append(SlurmText.sacctField(values.get(i), c.left() && !header ? -c.width() : c.width()))
                        .append(' ');
            }
        }
        sb.append('\n');
    }
}
