package dev.sluice.cli.sacct;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Getopt;
import dev.sluice.cli.common.Getopt.Opt;
import dev.sluice.contracts.job.JobState;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** sacct: job and step history from the accounting service. */
public final class Sacct {
    static final List<Opt> OPTIONS = List.of(
            Opt.arg('j', "jobs"), Opt.arg('u', "user"), Opt.arg('A', "accounts"), Opt.arg('s', "state"),
            Opt.arg('S', "starttime"), Opt.arg('E', "endtime"), Opt.arg('r', "partition"),
            Opt.flag('X', "allocations"), Opt.flag('n', "noheader"), Opt.flag('P', "parsable2"),
            Opt.flag('p', "parsable"), Opt.arg('\0', "delimiter"), Opt.arg('o', "format"),
            Opt.flag('a', "allusers"), Opt.flag('h', "help"), Opt.flag('\0', "usage"));

    private Sacct() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        Getopt.Parsed o;
        try {
            o = Getopt.parse("sacct", OPTIONS, argv);
        } catch (Getopt.UsageException e) {
            ctx.err().println(e.getMessage());
            ctx.err().println("Try \"sacct --help\" for more information");
            return 1;
        }
        if (o.has("help") || o.has("usage")) {
            ctx.out().println("Usage: sacct [-j jobs] [-u users | -a] [-A accounts] [-s states] [-S start] [-E end]");
            ctx.out().println("             [-r partitions] [-X] [-n] [-p | -P] [--delimiter=c] [-o format]");
            return 0;
        }
        SacctFormat format;
        try {
            format = SacctFormat.parse(o.has("format") ? String.join(",", o.values().get("format"))
                    : SacctFormat.DEFAULT);
        } catch (IllegalArgumentException e) {
            ctx.err().println("sacct: error: " + e.getMessage());
            return 1;
        }
        Map<String, String> query = new LinkedHashMap<>();
        List<String> jobs = new ArrayList<>();
        for (String j : o.list("jobs")) {
            // sacct -j 42.batch selects the job; its steps come with it.
            String id = j.contains(".") ? j.substring(0, j.indexOf('.')) : j;
            if (!id.matches("\\d+")) {
                ctx.err().println("sacct: error: Invalid job id: " + j);
                return 1;
            }
            jobs.add(id);
        }
        query.put("jobs", String.join(",", jobs));
        List<String> users = o.list("user");
        boolean allUsers = o.has("allusers") || (users.isEmpty() && ctx.identity().isRoot());
        if (users.isEmpty() && !allUsers && jobs.isEmpty()) {
            // Slurm's default: a user sees their own jobs unless they ask for others.
            users = List.of(ctx.identity().user());
        }
        query.put("user", String.join(",", users));
        query.put("account", String.join(",", o.list("accounts")));
        List<String> states = new ArrayList<>();
        for (String s : o.list("state")) {
            try {
                states.add(JobState.parse(s).name());
            } catch (IllegalArgumentException e) {
                ctx.err().println("sacct: error: Invalid state: " + s);
                return 1;
            }
        }
        query.put("state", String.join(",", states));
        try {
            if (o.has("starttime")) {
                query.put("start", SlurmTimeSpec.parse(o.last("starttime"), ctx.clock().instant(), ctx.zone()).toString());
            }
            if (o.has("endtime")) {
                query.put("end", SlurmTimeSpec.parse(o.last("endtime"), ctx.clock().instant(), ctx.zone()).toString());
            }
        } catch (IllegalArgumentException e) {
            ctx.err().println("sacct: error: " + e.getMessage());
            return 1;
        }
        query.put("partition", String.join(",", o.list("partition")));
        if (allUsers) {
            query.put("allUsers", "true");
        }

        SacctFormat.Mode mode = o.has("parsable2") ? SacctFormat.Mode.PARSABLE2
                : o.has("parsable") ? SacctFormat.Mode.PARSABLE : SacctFormat.Mode.FIXED;
        String delimiter = o.has("delimiter") ? o.last("delimiter") : "|";

        List<SacctRecord> records;
        try {
            Api.Response r = api.get(ctx.endpoints().accounting(), "/api/v1/sacct", query);
            if (!r.ok()) {
                ctx.err().println("sacct: error: " + r.error());
                return 1;
            }
            records = Api.JSON.readValue(r.body(), new TypeReference<List<SacctRecord>>() { });
        } catch (Api.Unreachable e) {
            ctx.err().println("sacct: error: Problem talking to the database: Connection refused");
            return 1;
        } catch (IOException e) {
            ctx.err().println("sacct: error: Unexpected answer from the accounting service: " + e.getMessage());
            return 1;
        }
        for (String line : format.render(records, !o.has("noheader"), !o.has("allocations"), mode, delimiter,
                ctx.zone())) {
            ctx.out().println(line);
        }
        return 0;
    }
}
