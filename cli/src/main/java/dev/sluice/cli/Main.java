package dev.sluice.cli;

import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.sacct.Sacct;
import dev.sluice.cli.sbatch.Sbatch;
import dev.sluice.cli.scancel.Scancel;
import dev.sluice.cli.squeue.Squeue;

import java.util.Arrays;
import java.util.List;

/** One entry point for all commands: the first argument names the command (bin/sbatch passes "sbatch"). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.flush();
        System.exit(run(Context.system(), args));
    }

    public static int run(Context ctx, String[] args) {
        if (args.length == 0) {
            ctx.err().println("usage: <sbatch|squeue|scancel|sacct> [options...]");
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        Api api = new Api();
        int rc = switch (args[0]) {
            case "sbatch" -> Sbatch.run(ctx, rest, api);
            case "squeue" -> Squeue.run(ctx, rest, api);
            case "scancel" -> Scancel.run(ctx, rest, api);
            case "sacct" -> Sacct.run(ctx, rest, api);
            case "sacctmgr" -> dev.sluice.cli.sacctmgr.Sacctmgr.run(ctx, rest, api);
            case "sreport" -> dev.sluice.cli.sreport.Sreport.run(ctx, rest, api);
            default -> {
                ctx.err().println("sluice: unknown command " + args[0]);
                yield 2;
            }
        };
        ctx.out().flush();
        return rc;
    }
}
