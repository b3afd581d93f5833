package dev.sluice.runner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The runner's options, shared by {@code up} (which passes them on to the supervisor) and the supervisor itself.
 *
 * @param skipMissing start without the services whose jar is missing (for trying the runner while they are built)
 * @param freePorts   pick free ports instead of the fixed defaults (tests run beside a real local stack)
 */
public record RunnerOptions(Path repo, Path data, int nodes, boolean skipMissing, boolean freePorts,
                            Duration readyTimeout) {

    public static final int KAFKA_PORT = 19092;
    public static final int POSTGRES_PORT = 15432;
    public static final int NODE_BASE_PORT = 6830;

    /** Parses {@code --nodes N --data DIR --repo DIR --skip-missing --free-ports --timeout SECONDS}. */
    public static RunnerOptions parse(List<String> args, Path defaultRepo, String sluiceHome) {
        Path repo = defaultRepo;
        Path data = null;
        int nodes = 1;
        boolean skip = false;
        boolean free = false;
        Duration timeout = Duration.ofSeconds(180);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            String inline = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
            switch (name) {
                case "--nodes", "-N" -> nodes = parseNodes(inline != null ? inline : value(args, ++i, a));
                case "--data" -> data = Path.of(inline != null ? inline : value(args, ++i, a));
                case "--repo" -> repo = Path.of(inline != null ? inline : value(args, ++i, a));
                case "--timeout" -> timeout = Duration.ofSeconds(parsePositive(inline != null ? inline : value(args, ++i, a), a));
                case "--skip-missing" -> skip = true;
                case "--free-ports" -> free = true;
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (data == null) {
            data = sluiceHome != null && !sluiceHome.isBlank() ? Path.of(sluiceHome) : repo.resolve(".sluice");
        }
        return new RunnerOptions(repo.toAbsolutePath().normalize(), data.toAbsolutePath().normalize(), nodes, skip,
                free, timeout);
    }

    /** The same options as arguments, for the supervisor's command line. */
    public List<String> toArgs() {
        List<String> out = new ArrayList<>(List.of("--repo", repo.toString(), "--data", data.toString(),
                "--nodes", Integer.toString(nodes), "--timeout", Long.toString(readyTimeout.toSeconds())));
        if (skipMissing) {
            out.add("--skip-missing");
        }
        if (freePorts) {
            out.add("--free-ports");
        }
        return out;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException("option " + option + " needs a value");
        }
        return args.get(i);
    }

    private static int parseNodes(String v) {
        int n = parsePositive(v, "--nodes");
        if (n > 99) {
            throw new IllegalArgumentException("--nodes: at most 99 node agents on one machine");
        }
        return n;
    }

    private static int parsePositive(String v, String option) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new IllegalArgumentException(option + " needs a positive number, not '" + v + "'");
    }
}
