package dev.sluice.simulator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./sluice simulate [--trace FILE] [--policy fifo|builtin|easy[,..]] [--nodes N] [--cpus-per-node N]
 * [--estimate actual|trace|factor:N] [--jobs N]}: one JSON object per policy on stdout.
 */
public final class Simulate {
    /** The project's trace (shared/ sits beside the repository); simulate.sh passes its path. */
    public static final String DEFAULT_TRACE = System.getProperty("sluice.default-trace", "../shared/data/lublin_256.swf");

    private Simulate() {
    }

    public static void main(String[] args) throws Exception {
        String trace = DEFAULT_TRACE;
        String policies = "fifo,easy";
        int nodes = 256;
        int cpusPerNode = 1;
        String estimate = "actual";
        int limit = Integer.MAX_VALUE;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--trace" -> trace = v;
                case "--policy" -> policies = v;
                case "--nodes" -> nodes = Integer.parseInt(v);
                case "--cpus-per-node" -> cpusPerNode = Integer.parseInt(v);
                case "--estimate" -> estimate = v;
                case "--jobs" -> limit = Integer.parseInt(v);
                case "-h", "--help" -> {
                    System.out.println("usage: sluice simulate [--trace FILE] [--policy fifo|builtin|easy[,...]] "
                            + "[--nodes N] [--cpus-per-node N] [--estimate actual|trace|factor:N] [--jobs N]");
                    return;
                }
                default -> {
                    System.err.println("sluice simulate: unrecognized option '" + a + "'");
                    System.exit(2);
                }
            }
            i++;
        }
        List<Swf.TraceJob> jobs = Swf.read(Path.of(trace));
        if (jobs.size() > limit) {
            jobs = new ArrayList<>(jobs.subList(0, limit));
        }
        Simulation.Estimate e = Simulation.Estimate.parse(estimate);
        for (String p : policies.split(",")) {
            Simulation.Metrics m = Simulation.run(jobs,
                    new Simulation.Options(p.trim(), nodes, cpusPerNode, e));
            System.out.println(m.json());
        }
    }
}
