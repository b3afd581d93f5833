package dev.sluice.cli.sreport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.SlurmText;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sreport cluster Utilization | AccountUtilizationByUser | UserUtilizationByAccount with start= end=,
 * -t Minutes|Hours|Seconds|Percent and --tres. Options may come anywhere on the line, as sreport allows.
 * Accounting answers TRES-seconds; the units and the layout are done here.
 */
public final class Sreport {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    private Sreport() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        String unit = "minutes";
        String tres = null;
        boolean noHeader = false;
        String delimiter = null;
        boolean trailing = false;
        List<String> words = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            String lower = a.toLowerCase(Locale.ROOT);
            if (a.equals("-t") || a.equals("--time-format")) {
                if (i + 1 >= argv.size()) {
                    ctx.err().println("sreport: option requires an argument -- 't'");
                    return 1;
                }
                unit = argv.get(++i).toLowerCase(Locale.ROOT);
            } else if (a.startsWith("-t") && !a.startsWith("--")) {
                unit = a.substring(2).toLowerCase(Locale.ROOT);
            } else if (lower.startsWith("--time-format=")) {
                unit = lower.substring("--time-format=".length());
            } else if (lower.startsWith("--tres=")) {
                tres = a.substring("--tres=".length());
            } else if (lower.startsWith("tres=")) {
                tres = a.substring("tres=".length());
            } else if (a.equals("-T") || a.equals("--tres")) {
                tres = i + 1 < argv.size() ? argv.get(++i) : null;
            } else if (a.equals("-n") || a.equals("--noheader")) {
                noHeader = true;
            } else if (a.equals("-P") || a.equals("--parsable2")) {
                delimiter = "|";
            } else if (a.equals("-p") || a.equals("--parsable")) {
                delimiter = "|";
                trailing = true;
            } else if (a.startsWith("-")) {
                ctx.err().println("sreport: invalid option -- '" + a.replaceFirst("^-+", "") + "'");
                return 1;
            } else {
                words.add(a);
            }
        }
        unit = switch (unit) {
            case "m", "min", "minutes" -> "minutes";
            case "h", "hours" -> "hours";
            case "s", "seconds" -> "seconds";
            case "p", "percent" -> "percent";
            default -> null;
        };
        if (unit == null) {
            ctx.err().println(" unknown time format -t " + argv);
            return 1;
        }
        if (words.size() < 2 || !words.get(0).equalsIgnoreCase("cluster")) {
            ctx.err().println("sreport: error: use: sreport cluster <Utilization|AccountUtilizationByUser|"
                    + "UserUtilizationByAccount> [start=...] [end=...] [-t Hours|Minutes|Percent] [--tres=...]");
            return 1;
        }
        String report = words.get(1);
        Map<String, String> query = new LinkedHashMap<>();
        for (String w : words.subList(2, words.size())) {
            int eq = w.indexOf('=');
            String k = eq < 0 ? w.toLowerCase(Locale.ROOT) : w.substring(0, eq).toLowerCase(Locale.ROOT);
            String v = eq < 0 ? "" : w.substring(eq + 1);
            switch (k) {
                case "start", "starttime" -> query.put("start", v);
                case "end", "endtime" -> query.put("end", v);
                case "cluster", "clusters" -> {
                }
                default -> {
                    ctx.err().println(" Unknown condition: " + w);
                    return 1;
                }
            }
        }
        if (tres != null) {
            query.put("tres", tres);
        }
        Api.Response r;
        try {
            r = api.get(ctx.endpoints().accounting(), "/api/v1/sreport/" + report, query);
        } catch (Api.Unreachable e) {
            ctx.err().println("sreport: error: Problem talking to the database: Connection refused");
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
            ctx.err().println("sreport: error: " + e.getMessage());
            return 1;
        }
        print(ctx, report.toLowerCase(Locale.ROOT), j, unit, tres != null, noHeader, delimiter, trailing);
        return 0;
    }

    private static void print(Context ctx, String report, JsonNode j, String unit, boolean tresColumn,
                              boolean noHeader, String delimiter, boolean trailing) {
        String tresName = j.path("tres").asText("cpu");
        double reported = j.path("reported").asDouble();
        ZoneId zone = ctx.zone();
        Instant start = Instant.parse(j.path("start").asText());
        Instant end = Instant.parse(j.path("end").asText());
        String cluster = j.path("cluster").asText();
        String title = switch (report) {
            case "utilization" -> "Cluster Utilization";
            case "accountutilizationbyuser" -> "Cluster/Account/User Utilization";
            default -> "Cluster/User/Account Utilization";
        };
        StringBuilder sb = new StringBuilder();
        if (!noHeader && delimiter == null) {
            String rule = "-".repeat(80) + "\n";
            sb.append(rule);
            sb.append(title).append(' ').append(TIME.format(start.atZone(zone))).append(" - ")
                    .append(TIME.format(end.minusSeconds(1).atZone(zone))).append(" (")
                    .append(j.path("seconds").asLong()).append(" secs)\n");
            String what = tresColumn ? "TRES" : "CPU";
            sb.append("Usage reported in ").append(switch (unit) {
                case "percent" -> "Percentage of Total";
                case "hours" -> what + " Hours";
                case "seconds" -> what + " Seconds";
                default -> what + " Minutes";
            }).append('\n');
            sb.append(rule);
        }
        List<String[]> header = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        if (report.equals("utilization")) {
            header.add(new String[]{"Cluster", "9"});
            if (tresColumn) {
                header.add(new String[]{"TRES Name", "14"});
            }
            for (String h : List.of("Allocated", "Down", "PLND Down", "Idle", "Planned", "Reported")) {
                header.add(new String[]{h, h.equals("Allocated") || h.equals("Idle") || h.equals("Reported")
                        ? "13" : "9"});
            }
            double alloc = j.path("allocated").asDouble();
            List<String> row = new ArrayList<>(List.of(cluster));
            if (tresColumn) {
                row.add(tresName);
            }
            row.addAll(List.of(amount(alloc, unit, reported), amount(0, unit, reported), amount(0, unit, reported),
                    amount(reported - alloc, unit, reported), amount(0, unit, reported),
                    amount(reported, unit, reported)));
            rows.add(row);
        } else {
            boolean byUser = report.equals("accountutilizationbyuser");
            header.add(new String[]{"Cluster", "9"});
            if (byUser) {
                header.add(new String[]{"Account", "15"});
            }
            header.add(new String[]{"Login", "9"});
            header.add(new String[]{"Proper Name", "15"});
            if (!byUser) {
                header.add(new String[]{"Account", "15"});
            }
            if (tresColumn) {
                header.add(new String[]{"TRES Name", "14"});
            }
            header.add(new String[]{"Used", "9"});
            header.add(new String[]{"Energy", "9"});
            for (JsonNode l : j.path("lines")) {
                String user = l.path("user").asText("");
                String account = l.path("account").asText("");
                if (byUser && user.isEmpty()) {
                    // sreport indents accounts by their depth in the tree
                    account = " ".repeat(Math.max(0, l.path("level").asInt())) + account;
                }
                List<String> row = new ArrayList<>(List.of(cluster));
                if (byUser) {
                    row.add(account);
                }
                row.add(user);
                row.add(user);
                if (!byUser) {
                    row.add(account);
                }
                if (tresColumn) {
                    row.add(tresName);
                }
                row.add(amount(l.path("used").asDouble(), unit, reported));
                row.add(amount(0, unit, reported));
                rows.add(row);
            }
        }
        if (!noHeader) {
            List<String> names = header.stream().map(h -> h[0]).toList();
            line(sb, header, names, delimiter, trailing);
            if (delimiter == null) {
                for (String[] h : header) {
                    sb.append("-".repeat(Integer.parseInt(h[1]))).append(' ');
                }
                sb.append('\n');
            }
        }
        for (List<String> row : rows) {
            line(sb, header, row, delimiter, trailing);
        }
        ctx.out().print(sb);
    }

    private static void line(StringBuilder sb, List<String[]> header, List<String> values, String delimiter,
                             boolean trailing) {
        for (int i = 0; i < values.size(); i++) {
            if (delimiter != null) {
                sb.append(values.get(i).strip());
                if (trailing || i < values.size() - 1) {
                    sb.append(delimiter);
                }
            } else {
                sb.append(SlurmText.sacctField(values.get(i), Integer.parseInt(header.get(i)[1]))).append(' ');
            }
        }
        sb.append('\n');
    }

    /** TRES-seconds as sreport prints them: whole minutes/hours/seconds, or a percentage of the reported total. */
    static String amount(double seconds, String unit, double reported) {
        return switch (unit) {
            case "percent" -> String.format(Locale.ROOT, "%.2f%%", reported <= 0 ? 0 : seconds * 100 / reported);
            case "hours" -> Long.toString(Math.round(seconds / 3600));
            case "seconds" -> Long.toString(Math.round(seconds));
            default -> Long.toString(Math.round(seconds / 60));
        };
    }
}
