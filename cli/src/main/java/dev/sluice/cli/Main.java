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
            default -> byConvention(ctx, args[0], rest, api);
        };
        ctx.out().flush();
        return rc;
    }

    /**
     * Commands added later live in {@code dev.sluice.cli.<name>.<Name>} with a static
     * {@code int run(Context, List<String>, Api)}, so a new command needs no edit here.
     */
    private static int byConvention(Context ctx, String name, List<String> rest, Api api) {
        if (!name.matches("[a-z]+")) {
            ctx.err().println("sluice: unknown command " + name);
            return 2;
        }
        String cls = "dev.sluice.cli." + name + "." + Character.toUpperCase(name.charAt(0)) + name.substring(1);
        java.lang.reflect.Method run;
        try {
            run = Class.forName(cls).getMethod("run", Context.class, List.class, Api.class);
        } catch (ReflectiveOperationException e) {
            ctx.err().println("sluice: unknown command " + name);
            return 2;
        }
        try {
            return (int) run.invoke(null, ctx, rest, api);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
