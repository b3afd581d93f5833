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
 * @param cpusPerNode the CPU count each node agent claims ({@code sluice.node.virtual-cpus}), mapped onto its real
 *                    slice, so that a small host can play nodes of 8 or 32 CPUs; null: the slice's real count
 * @param gpus        fake GPUs for each node agent, or null for none
 * @param standbyScheduler start a second scheduler ({@code scheduler-standby}) that takes over when the active one
 *                    dies
 */
public record RunnerOptions(Path repo, Path data, int nodes, boolean skipMissing, boolean freePorts,
                            Duration readyTimeout, Integer cpusPerNode, Gpus gpus, boolean standbyScheduler,
                            Integer slurmdTimeout) {

    public RunnerOptions(Path repo, Path data, int nodes, boolean skipMissing, boolean freePorts,
                         Duration readyTimeout, Integer cpusPerNode, Gpus gpus, boolean standbyScheduler) {
        this(repo, data, nodes, skipMissing, freePorts, readyTimeout, cpusPerNode, gpus, standbyScheduler, null);
    }

    /** {@code --gpus-per-node N[:type]} (Slurm's {@code type:N} order also accepted). */
    public record Gpus(int count, String type) {
        public static Gpus parse(String v) {
            String[] parts = v.strip().split(":");
            if (parts.length == 1) {
                return new Gpus(parsePositive(parts[0], "--gpus-per-node"), null);
            }
            if (parts.length == 2) {
                boolean countFirst = parts[0].matches("\\d+");
                String count = countFirst ? parts[0] : parts[1];
                String type = countFirst ? parts[1] : parts[0];
                if (type.matches("[A-Za-z0-9_.-]+")) {
                    return new Gpus(parsePositive(count, "--gpus-per-node"), type);
                }
            }
            throw new IllegalArgumentException("--gpus-per-node needs N or N:type (such as 4:h100), not '" + v + "'");
        }

        /** The node agent's {@code sluice.node.gres}: {@code gpu:4} or {@code gpu:h100:4}. */
        public String gres() {
            return type == null ? "gpu:" + count : "gpu:" + type + ":" + count;
        }

        @Override
        public String toString() {
            return type == null ? Integer.toString(count) : count + ":" + type;
        }
    }

    public RunnerOptions(Path repo, Path data, int nodes, boolean skipMissing, boolean freePorts, Duration readyTimeout) {
        this(repo, data, nodes, skipMissing, freePorts, readyTimeout, null, null);
    }

    public RunnerOptions(Path repo, Path data, int nodes, boolean skipMissing, boolean freePorts,
                         Duration readyTimeout, Integer cpusPerNode, Gpus gpus) {
        this(repo, data, nodes, skipMissing, freePorts, readyTimeout, cpusPerNode, gpus, false);
    }

    public static final int KAFKA_PORT = 19092;
    public static final int POSTGRES_PORT = 15432;
    public static final int NODE_BASE_PORT = 6830;
    public static final int STANDBY_SCHEDULER_PORT = 6823;

    /**
     * Parses {@code --nodes N --data DIR --repo DIR --skip-missing --free-ports --timeout SECONDS
     * --cpus-per-node N --gpus-per-node N[:type] --standby-scheduler --slurmd-timeout SECONDS}.
     */
    public static RunnerOptions parse(List<String> args, Path defaultRepo, String sluiceHome) {
        Path repo = defaultRepo;
        Path data = null;
        int nodes = 1;
        boolean skip = false;
        boolean free = false;
        Duration timeout = Duration.ofSeconds(180);
        Integer cpusPerNode = null;
        Gpus gpus = null;
        boolean standby = false;
        Integer slurmdTimeout = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            String inline = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
            switch (name) {
                case "--nodes", "-N" -> nodes = parseNodes(inline != null ? inline : value(args, ++i, a));
                case "--data" -> data = Path.of(inline != null ? inline : value(args, ++i, a));
                case "--repo" -> repo = Path.of(inline != null ? inline : value(args, ++i, a));
                case "--timeout" -> timeout = Duration.ofSeconds(parsePositive(inline != null ? inline : value(args, ++i, a), a));
                case "--cpus-per-node" -> cpusPerNode = parsePositive(inline != null ? inline : value(args, ++i, a), a);
                case "--gpus-per-node" -> gpus = Gpus.parse(inline != null ? inline : value(args, ++i, a));
                case "--skip-missing" -> skip = true;
                case "--free-ports" -> free = true;
                case "--standby-scheduler" -> standby = true;
                case "--slurmd-timeout" -> slurmdTimeout = parsePositive(inline != null ? inline : value(args, ++i, a), a);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (data == null) {
            data = sluiceHome != null && !sluiceHome.isBlank() ? Path.of(sluiceHome) : repo.resolve(".sluice");
        }
        if (cpusPerNode != null && cpusPerNode > 1024) {
            throw new IllegalArgumentException("--cpus-per-node: at most 1024");
        }
        if (gpus != null && gpus.count() > 64) {
            throw new IllegalArgumentException("--gpus-per-node: at most 64 fake GPUs per node");
        }
        return new RunnerOptions(repo.toAbsolutePath().normalize(), data.toAbsolutePath().normalize(), nodes, skip,
                free, timeout, cpusPerNode, gpus, standby, slurmdTimeout);
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
        if (cpusPerNode != null) {
            out.addAll(List.of("--cpus-per-node", Integer.toString(cpusPerNode)));
        }
        if (gpus != null) {
            out.addAll(List.of("--gpus-per-node", gpus.toString()));
        }
        if (standbyScheduler) {
            out.add("--standby-scheduler");
        }
        if (slurmdTimeout != null) {
            out.addAll(List.of("--slurmd-timeout", Integer.toString(slurmdTimeout)));
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
