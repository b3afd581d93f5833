package dev.sluice.cli.sacctmgr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.SlurmText;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sacctmgr: the words go to accounting as typed (it owns their meaning and Slurm's messages); this side prints
 * the answer, and for show/list lays the rows out with format=, -n and -p/-P as sacctmgr does. -i is accepted:
 * this sacctmgr never asks "Would you like to commit changes?", every accepted command is committed.
 */
public final class Sacctmgr {
    /** A column: its header, the row field it shows, and its default width (negative: left-justified). */
    record Column(String header, String field, int width) {
    }

    static final Map<String, Column> COLUMNS = new LinkedHashMap<>();

    static {
        col("Cluster", "Cluster", 10, "cluster");
        col("Account", "Account", 10, "account");
        col("User", "User", 10, "user");
        col("Partition", "Partition", 10, "partition");
        col("Par Name", "ParentName", 10, "parentname", "parent");
        col("Share", "Share", 9, "share", "fairshare", "shares");
        col("GrpJobs", "GrpJobs", 7, "grpjobs");
        col("GrpTRES", "GrpTRES", 13, "grptres");
        col("GrpSubmit", "GrpSubmitJobs", 9, "grpsubmit", "grpsubmitjobs");
        col("GrpWall", "GrpWall", 11, "grpwall");
        col("GrpTRESRunMin", "GrpTRESRunMins", 13, "grptresrunmins", "grpcpurunmins", "grptresrunmin");
        col("MaxJobs", "MaxJobs", 7, "maxjobs");
        col("MaxTRES", "MaxTRESPerJob", 13, "maxtres", "maxtresperjob");
        col("MaxTRESPerNode", "MaxTRESPerNode", 14, "maxtrespernode");
        col("MaxSubmit", "MaxSubmitJobs", 9, "maxsubmit", "maxsubmitjobs");
        col("MaxWall", "MaxWall", 11, "maxwall", "maxwalldurationperjob");
        col("QOS", "QOS", 20, "qos");
        col("Def QOS", "DefaultQOS", 9, "defaultqos", "defqos");
        col("Descr", "Descr", 20, "description", "descr");
        col("Org", "Org", 20, "organization", "org");
        col("Def Acct", "Def Acct", 10, "defaultaccount", "defacct");
        col("Admin", "Admin", 9, "adminlevel", "admin");
        col("Name", "Name", 10, "name");
        col("Priority", "Priority", 10, "priority");
        col("MaxTRESPU", "MaxTRESPerUser", 13, "maxtrespu", "maxtresperuser");
        col("MaxJobsPU", "MaxJobsPerUser", 9, "maxjobspu", "maxjobsperuser");
        col("MaxSubmitPU", "MaxSubmitJobsPerUser", 11, "maxsubmitpu", "maxsubmitjobsperuser");
    }

    private static void col(String header, String field, int width, String... names) {
        for (String n : names) {
            COLUMNS.put(n, new Column(header, field, width));
        }
    }

    static final Map<String, String> DEFAULT_FORMAT = Map.of(
            "association", "Cluster,Account,User,Partition,Share,GrpJobs,GrpTRES,GrpSubmit,GrpWall,"
                    + "GrpTRESRunMins,MaxJobs,MaxTRES,MaxTRESPerNode,MaxSubmit,MaxWall,QOS,DefaultQOS",
            "account", "Account,Descr,Org",
            "user", "User,DefaultAccount,AdminLevel",
            "qos", "Name,Priority,GrpTRES,MaxWall,MaxTRESPU,MaxJobsPU,MaxSubmitPU",
            "cluster", "Cluster");

    private Sacctmgr() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        boolean noHeader = false;
        String delimiter = null;
        boolean trailing = false;
        List<String> words = new ArrayList<>();
        for (String a : argv) {
            if (!words.isEmpty()) {
                words.add(a);
                continue;
            }
            switch (a) {
                case "-i", "--immediate", "-Q", "--quiet", "-v", "--verbose" -> {
                }
                case "-n", "--noheader" -> noHeader = true;
                case "-P", "--parsable2" -> delimiter = "|";
                case "-p", "--parsable" -> {
                    delimiter = "|";
                    trailing = true;
                }
                case "-h", "--help", "--usage" -> {
                    ctx.out().println("Usage: sacctmgr [-i] [-n] [-p|-P] <add|modify|delete|show|list> "
                            + "<account|user|association|qos|cluster> [name] [where ...] [set ...] [format=...]");
                    return 0;
                }
                default -> {
                    if (a.startsWith("-")) {
                        ctx.err().println("sacctmgr: invalid option -- '" + a.replaceFirst("^-+", "") + "'");
                        ctx.err().println("Try \"sacctmgr --help\" for more information");
                        return 1;
                    }
                    words.add(a);
                }
            }
        }
        if (words.isEmpty()) {
            ctx.err().println("sacctmgr: error: No command given");
            return 1;
        }
        Api.Response r;
        try {
            r = api.post(ctx.endpoints().accounting(), "/api/v1/sacctmgr", Map.of("args", words));
        } catch (Api.Unreachable e) {
            ctx.err().println("sacctmgr: error: Problem talking to the database: Connection refused");
            return 1;
        }
        if (!r.ok()) {
            ctx.err().println(r.error());
            return 1;
        }
        JsonNode answer;
        try {
            answer = Api.JSON.readTree(r.body());
        } catch (IOException e) {
            ctx.err().println("sacctmgr: error: " + e.getMessage());
            return 1;
        }
        String action = words.get(0).toLowerCase(Locale.ROOT);
        if (!action.equals("show") && !action.equals("list")) {
            ctx.out().print(answer.path("text").asText());
            return 0;
        }
        String entity = words.size() > 1 ? entity(words.get(1)) : "association";
        String format = DEFAULT_FORMAT.getOrDefault(entity, DEFAULT_FORMAT.get("association"));
        for (String w : words) {
            if (w.toLowerCase(Locale.ROOT).startsWith("format=")) {
                format = w.substring("format=".length());
            }
        }
        List<Column> columns;
        try {
            columns = columns(format);
        } catch (IllegalArgumentException e) {
            ctx.err().println(e.getMessage());
            return 1;
        }
        print(ctx, columns, answer.path("rows"), noHeader, delimiter, trailing);
        return 0;
    }

    static String entity(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "account", "accounts", "acct" -> "account";
            case "user", "users" -> "user";
            case "qos" -> "qos";
            case "cluster", "clusters" -> "cluster";
            default -> "association";
        };
    }

    /** format=Account,User%20,GrpTRES: names case-insensitive, %N sets the width as in sacctmgr. */
    static List<Column> columns(String format) {
        List<Column> out = new ArrayList<>();
        for (String f : format.split(",")) {
            if (f.isBlank()) {
                continue;
            }
            String name = f;
            Integer width = null;
            int pct = f.indexOf('%');
            if (pct >= 0) {
                name = f.substring(0, pct);
                width = Integer.parseInt(f.substring(pct + 1));
            }
            Column c = COLUMNS.get(name.toLowerCase(Locale.ROOT));
            if (c == null) {
                throw new IllegalArgumentException(" Unknown field '" + name + "'");
            }
            out.add(width == null ? c : new Column(c.header(), c.field(), width));
        }
        return out;
    }

    private static void print(Context ctx, List<Column> columns, JsonNode rows, boolean noHeader, String delimiter,
                              boolean trailing) {
        StringBuilder sb = new StringBuilder();
        if (!noHeader) {
            line(sb, columns, c -> c.header(), delimiter, trailing);
            if (delimiter == null) {
                for (Column c : columns) {
                    sb.append("-".repeat(Math.abs(c.width()))).append(' ');
                }
                sb.append('\n');
            }
        }
        for (JsonNode row : rows) {
            line(sb, columns, c -> row.path(c.field()).asText(""), delimiter, trailing);
        }
        ctx.out().print(sb);
    }

    private static void line(StringBuilder sb, List<Column> columns, java.util.function.Function<Column, String> value,
                             String delimiter, boolean trailing) {
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            if (delimiter != null) {
                sb.append(value.apply(c));
                if (trailing || i < columns.size() - 1) {
                    sb.append(delimiter);
                }
            } else {
                sb.append(SlurmText.sacctField(value.apply(c), c.width())).append(' ');
            }
        }
        sb.append('\n');
    }
}
