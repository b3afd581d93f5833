package dev.sluice.cli.squeue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Getopt;
import dev.sluice.cli.common.Getopt.Opt;
import dev.sluice.cli.scontrol.Controller;
import dev.sluice.contracts.job.JobState;

import java.io.IOException;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** squeue: lists jobs from the submit service's read model in Slurm's table format. */
public final class Squeue {
    static final List<Opt> OPTIONS = List.of(
            Opt.arg('u', "user"), Opt.flag('\0', "me"), Opt.arg('j', "jobs"), Opt.arg('t', "states"),
            Opt.arg('p', "partition"), Opt.flag('h', "noheader"), Opt.arg('o', "format"), Opt.flag('l', "long"),
            Opt.arg('A', "account"), Opt.arg('O', "Format"), Opt.flag('\0', "start"), Opt.flag('\0', "help"),
            Opt.flag('\0', "usage"));

    /** ctime(3)'s layout, which squeue -l prints above the table. */
    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);

    private Squeue() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        Getopt.Parsed o;
        try {
            o = Getopt.parse("squeue", OPTIONS, argv);
        } catch (Getopt.UsageException e) {
            ctx.err().println(e.getMessage());
            ctx.err().println("Try \"squeue --help\" for more information");
            return 1;
        }
        if (o.has("help") || o.has("usage")) {
            ctx.out().println("Usage: squeue [-u user_list] [--me] [-j job_list] [-t state_list] [-p partition_list]");
            ctx.out().println("              [-h] [-l] [--start] [-o format] [-O fields]");
            return 0;
        }
        Map<String, String> query = new LinkedHashMap<>();
        Set<String> users = new LinkedHashSet<>(o.list("user"));
        if (o.has("me")) {
            users.add(ctx.identity().user());
        }
        query.put("user", String.join(",", users));
        List<String> jobs = o.list("jobs");
        for (String j : jobs) {
            if (!j.matches("\\d+")) {
                ctx.err().println("squeue: error: Invalid job id: " + j);
                return 1;
            }
        }
        query.put("jobs", String.join(",", jobs));
        List<String> states = new ArrayList<>();
        for (String s : o.list("states")) {
            if (s.equalsIgnoreCase("all")) {
                for (JobState st : JobState.values()) {
                    states.add(st.name());
                }
                continue;
            }
            try {
                states.add(JobState.parse(s).name());
            } catch (IllegalArgumentException e) {
                ctx.err().println("squeue: error: Invalid job state specified: " + s);
                return 1;
            }
        }
        if (o.has("start") && states.isEmpty()) {
            states.add(JobState.PENDING.name());
        }
        query.put("states", String.join(",", states));
        query.put("partition", String.join(",", o.list("partition")));
        query.put("account", String.join(",", o.list("account")));

        String formatText = o.has("format") ? o.last("format") : o.has("start") ? SqueueFormat.START
                : o.has("long") ? SqueueFormat.LONG : SqueueFormat.DEFAULT;
        SqueueFormat format;
        try {
            format = o.has("Format") ? SqueueFormat.parseLong(o.last("Format")) : SqueueFormat.parse(formatText);
        } catch (IllegalArgumentException e) {
            ctx.err().println("squeue: error: " + e.getMessage());
            return 1;
        }

        List<JobRow> rows;
        try {
            Api.Response r = api.get(ctx.endpoints().submit(), "/api/v1/jobs", query);
            if (!r.ok()) {
                ctx.err().println("squeue: error: " + r.error());
                return 1;
            }
            rows = Api.JSON.readValue(r.body(), new TypeReference<List<JobRow>>() { });
        } catch (Api.Unreachable e) {
            ctx.err().println("slurm_load_jobs error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            ctx.err().println("squeue: error: Unexpected answer from the submit service: " + e.getMessage());
            return 1;
        }
        rows = withScheduler(ctx, api, rows);
        Instant now = ctx.clock().instant();
        if (o.has("long") && !o.has("noheader")) {
            ctx.out().println(CTIME.format(ZonedDateTime.ofInstant(now, ctx.zone())));
        }
        print(ctx, format, rows, !o.has("noheader"), now);
        return 0;
    }

    /**
     * Priority, nice, expected start and array ids are the scheduler's; a scheduler that does not answer leaves
     * them unknown rather than failing the listing the submit service already gave.
     */
    static List<JobRow> withScheduler(Context ctx, Api api, List<JobRow> rows) {
        if (rows.isEmpty()) {
            return rows;
        }
        Map<Long, com.fasterxml.jackson.databind.JsonNode> live = new java.util.HashMap<>();
        try {
            com.fasterxml.jackson.databind.JsonNode all = new Controller(ctx, api).get("/api/v1/jobs", Map.of());
            (all.isArray() ? all : all.path("jobs")).forEach(j -> {
                if (j.hasNonNull("JobId")) {
                    live.put(j.get("JobId").asLong(), j);
                }
            });
        } catch (Api.Unreachable | Controller.Failed e) {
            return rows;
        }
        return rows.stream().map(r -> r.withScheduler(live.get(r.jobId()))).toList();
    }

    /** Slurm's default order ("P,t,-p"): by partition, then pending before running, then priority, then job id. */
    static void print(Context ctx, SqueueFormat format, List<JobRow> rows, boolean header, Instant now) {
        if (header) {
            ctx.out().println(format.header());
        }
        rows.stream()
                .sorted(Comparator.comparing((JobRow j) -> j.partition() == null ? "" : j.partition())
                        .thenComparing(j -> SqueueFormat.state(j).ordinal())
                        .thenComparingLong(j -> j.priority() == null ? 0 : -j.priority())
                        .thenComparingLong(JobRow::jobId))
                .forEach(j -> ctx.out().println(format.row(j, now, ctx.zone())));
    }
}
