package dev.sluice.runner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One thing the supervisor starts, in start order.
 *
 * @param jar      the service's quarkus-run.jar (null for Kafka and PostgreSQL)
 * @param database the service's own database, or null
 * @param cpus     node agents only: the CPU list for sluice.node.cpus, or null for all
 */
public record Component(String name, Kind kind, int port, Path jar, String database, String cpus) {
    public enum Kind { KAFKA, POSTGRES, SERVICE, NODE }

    /** The services in start order: accounting first (it records everything), node agents last. */
    static final List<String[]> SERVICES = List.of(
            new String[] {"accounting", "6819"},
            new String[] {"submit", "6820"},
            new String[] {"scheduler", "6821"},
            new String[] {"identity", "6822"});

    /** The second scheduler of {@code --standby-scheduler}: the same jar, standing by for the first. */
    public static final String STANDBY_SCHEDULER = "scheduler-standby";

    /** Every service gets a database of its own; one that does not use it ignores the settings. */
    public static List<Component> plan(RunnerOptions o, CpuSlices.Assignment cpus, PortPicker ports) {
        List<Component> out = new ArrayList<>();
        out.add(new Component("kafka", Kind.KAFKA, ports.pick(RunnerOptions.KAFKA_PORT), null, null, null));
        out.add(new Component("postgres", Kind.POSTGRES, ports.pick(RunnerOptions.POSTGRES_PORT), null, null, null));
        for (String[] s : SERVICES) {
            out.add(new Component(s[0], Kind.SERVICE, ports.pick(Integer.parseInt(s[1])), jar(o.repo(), s[0]), s[0],
                    null));
        }
        if (o.standbyScheduler()) {
            out.add(new Component(STANDBY_SCHEDULER, Kind.SERVICE, ports.pick(RunnerOptions.STANDBY_SCHEDULER_PORT),
                    jar(o.repo(), "scheduler"), null, null));
        }
        for (int i = 0; i < o.nodes(); i++) {
            out.add(new Component("node%02d".formatted(i + 1), Kind.NODE, ports.pick(RunnerOptions.NODE_BASE_PORT + i),
                    jar(o.repo(), "node-agent"), null, cpus.perNode().get(i)));
        }
        return out;
    }

    static Path jar(Path repo, String service) {
        return repo.resolve("services").resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** The scheduler and its standby: they take turns being the active one (see the scheduler's README). */
    public boolean isScheduler() {
        return kind == Kind.SERVICE && (name.equals("scheduler") || name.equals(STANDBY_SCHEDULER));
    }

    public boolean isJvmService() {
        return kind == Kind.SERVICE || kind == Kind.NODE;
    }

    @FunctionalInterface
    public interface PortPicker {
        int pick(int defaultPort);
    }
}
