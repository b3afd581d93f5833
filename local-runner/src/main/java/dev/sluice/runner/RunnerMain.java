package dev.sluice.runner;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** {@code ./sluice up|down|status} (and the hidden {@code supervise}, which up starts in the background). */
public final class RunnerMain {
    private RunnerMain() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        String component = null;
        if ((args[0].equals("kill") || args[0].equals("start")) && !rest.isEmpty() && !rest.getFirst().startsWith("-")) {
            component = rest.getFirst();
            rest = rest.subList(1, rest.size());
        }
        if (rest.contains("--help") || rest.contains("-h")) {
            usage(out);
            return 0;
        }
        RunnerOptions o;
        try {
            o = RunnerOptions.parse(rest, Path.of(System.getProperty("sluice.repo", ".")), System.getenv("SLUICE_HOME"));
        } catch (IllegalArgumentException e) {
            err.println("sluice: error: " + e.getMessage());
            usage(err);
            return 2;
        }
        return switch (args[0]) {
            case "up" -> new Commands(o, out, err).up(System.getProperty("java.class.path"));
            case "down" -> new Commands(o, out, err).down();
            case "status" -> new Commands(o, out, err).status();
            case "supervise" -> new Supervisor(o).run();
            case "kill", "start" -> {
                if (component == null) {
                    err.println("sluice: error: " + args[0] + " needs a component, e.g. ./sluice " + args[0] + " node02");
                    yield 2;
                }
                yield args[0].equals("kill") ? new Commands(o, out, err).kill(component)
                        : new Commands(o, out, err).start(component);
            }
            default -> {
                err.println("sluice: error: unknown command " + args[0]);
                usage(err);
                yield 2;
            }
        };
    }

    private static void usage(PrintStream s) {
        s.println("usage: ./sluice up [--nodes N] [--data DIR] [--skip-missing]   start the local stack");
        s.println("           [--cpus-per-node N]      each node agent claims N CPUs (sluice.node.virtual-cpus), mapped");
        s.println("                                    onto its real slice: 4 nodes of 8 CPUs on a 2-CPU host");
        s.println("           [--gpus-per-node N[:type]]  N fake GPUs per node agent (character devices made with mknod");
        s.println("                                    under DATA/nodes/<node>/gpus, major 195; needs root), e.g. 4:h100");
        s.println("           [--standby-scheduler]   a second scheduler (scheduler-standby, port 6823) that takes over");
        s.println("                                    when the active one dies; ./sluice status shows which is active");
        s.println("           [--slurmd-timeout S]    SlurmdTimeout in the first start's sluice.conf (default 60 s):");
        s.println("                                    a node whose agent is silent S seconds goes DOWN");
        s.println("       ./sluice down [--data DIR]                                stop it");
        s.println("       ./sluice kill <component>   SIGKILL a node agent or service; it stays down (jobs keep");
        s.println("                                    running on their own) until ./sluice start <component>");
        s.println("       ./sluice status [--data DIR]                              show its components");
        s.println("The data folder defaults to $SLUICE_HOME, else <repo>/.sluice; jobs and accounting stay there.");
    }
}
