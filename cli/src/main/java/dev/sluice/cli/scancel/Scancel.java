package dev.sluice.cli.scancel;

import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Getopt;
import dev.sluice.cli.common.Getopt.Opt;

import java.util.List;

/** scancel: one cancel request per job id; exit 1 when any of them failed. */
public final class Scancel {
    static final List<Opt> OPTIONS = List.of(Opt.flag('\0', "help"), Opt.flag('\0', "usage"));

    private Scancel() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        Getopt.Parsed o;
        try {
            o = Getopt.parse("scancel", OPTIONS, argv);
        } catch (Getopt.UsageException e) {
            ctx.err().println(e.getMessage());
            ctx.err().println("Try \"scancel --help\" for more information");
            return 1;
        }
        if (o.has("help") || o.has("usage")) {
            ctx.out().println("Usage: scancel job_id [job_id...]");
            return 0;
        }
        if (o.positionals().isEmpty()) {
            ctx.err().println("scancel: error: No job identification provided");
            return 1;
        }
        // Slurm checks every id before it cancels any of them.
        for (String id : o.positionals()) {
            if (!id.matches("\\d+")) {
                ctx.err().println("scancel: error: Invalid job id " + id);
                return 1;
            }
        }
        int rc = 0;
        for (String id : o.positionals()) {
            String error;
            try {
                Api.Response r = api.delete(ctx.endpoints().submit(), "/api/v1/jobs/" + id);
                error = r.ok() ? null : r.error();
            } catch (Api.Unreachable e) {
                error = e.getMessage();
            }
            if (error != null) {
                ctx.err().println("scancel: error: Kill job error on job id " + id + ": " + error);
                rc = 1;
            }
        }
        return rc;
    }
}
