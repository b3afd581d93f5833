package dev.sluice.simulator;

import dev.sluice.scheduler.core.Decision;
import dev.sluice.scheduler.core.FifoStrategy;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.JobRequest;
import dev.sluice.scheduler.core.JobState;
import dev.sluice.scheduler.core.PriorityStrategy;
import dev.sluice.scheduler.core.Scheduler;
import dev.sluice.scheduler.core.SchedulingStrategy;
import dev.sluice.scheduler.core.config.ClusterConfig;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.stream.IntStream;

/**
 * Runs the scheduling core unchanged in virtual time: submissions come from the trace, each started job's batch
 * step ends after its trace runtime, and every batch of same-second events is one {@link Scheduler#handle} call.
 */
public final class Simulation {
    static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

    /** How the time limit (the scheduler's only runtime estimate) is made from the trace. */
    public sealed interface Estimate {
        record Actual() implements Estimate {
        }

        record Factor(double factor) implements Estimate {
        }

        /** The trace's own estimate where it has one, else the actual runtime. */
        record Trace() implements Estimate {
        }

        static Estimate parse(String s) {
            if (s.equals("actual")) {
                return new Actual();
            }
            if (s.equals("trace")) {
                return new Trace();
            }
            if (s.startsWith("factor:")) {
                return new Factor(Double.parseDouble(s.substring(7)));
            }
            throw new IllegalArgumentException("--estimate must be actual, trace or factor:N, not " + s);
        }
    }

    public record Options(String policy, int nodes, int cpusPerNode, Estimate estimate) {
    }

    /** The figures ./sluice simulate prints. */
    public record Metrics(String policy, int jobs, int skipped, double meanWaitSeconds, double meanBoundedSlowdown,
                          double utilisation, long makespanSeconds, double startsPerWallSecond, double wallSeconds,
                          double cpuSeconds) {
        public String json() {
            return String.format(java.util.Locale.ROOT,
                    "{\"policy\":\"%s\",\"jobs\":%d,\"skipped\":%d,\"mean_wait_s\":%.1f,"
                            + "\"mean_bounded_slowdown\":%.2f,\"utilisation\":%.4f,\"makespan_s\":%d,"
                            + "\"starts_per_wall_s\":%.0f,\"starts_per_cpu_s\":%.0f,\"wall_s\":%.3f,"
                            + "\"cpu_s\":%.3f}",
                    policy, jobs, skipped, meanWaitSeconds, meanBoundedSlowdown, utilisation, makespanSeconds,
                    startsPerWallSecond, cpuSeconds == 0 ? 0 : jobs / cpuSeconds, wallSeconds,
                    cpuSeconds);
        }
    }

    private static final class VirtualClock extends Clock {
        Instant now = EPOCH;

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private record Event(long time, long seq, Input input) {
    }

    public static SchedulingStrategy strategy(String policy) {
        return switch (policy) {
            case "fifo" -> new FifoStrategy();
            case "priority", "builtin" -> PriorityStrategy.builtin();
            case "easy", "backfill" -> PriorityStrategy.backfill();
            default -> throw new IllegalArgumentException("--policy must be fifo, builtin or easy, not " + policy);
        };
    }

    public static Metrics run(List<Swf.TraceJob> trace, Options o) {
        return run(trace, o, new HashMap<>());
    }

    /** @param start filled with each job's start, in seconds of the trace's time: what a pinned test compares */
    public static Metrics run(List<Swf.TraceJob> trace, Options o, Map<Long, Long> start) {
        VirtualClock clock = new VirtualClock();
        ClusterConfig config = ClusterConfig.parse("PartitionName=batch Nodes=ALL Default=YES MaxTime=INFINITE");
        Scheduler scheduler = new Scheduler(config, clock, strategy(o.policy()));
        // Nobody reads squeue --start here: EASY then works out a reservation only when a job could backfill past it.
        scheduler.planStarts(false);
        int totalCpus = o.nodes() * o.cpusPerNode();
        List<Input> boot = new ArrayList<>();
        List<Integer> cpuIds = IntStream.range(0, o.cpusPerNode()).boxed().toList();
        for (int i = 1; i <= o.nodes(); i++) {
            boot.add(new Input.NodeRegistered("n" + i, "sim", cpuIds, 1L << 20, List.of()));
        }
        scheduler.handle(boot);

        PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.time() != b.time()
                ? Long.compare(a.time(), b.time()) : Long.compare(a.seq(), b.seq()));
        long seq = 0;
        Map<Long, Swf.TraceJob> byId = new HashMap<>();
        int skipped = 0;
        for (Swf.TraceJob j : trace) {
            if (j.procs() > totalCpus) {
                skipped++;
                continue;
            }
            byId.put(j.id(), j);
            JobRequest r = new JobRequest(null, null, j.procs(), null, 1, null, null, limitMinutes(j, o.estimate()));
            events.add(new Event(j.submit(), seq++, new Input.Submit(j.id(), "u", null, r,
                    EPOCH.plusSeconds(j.submit()))));
        }
        long first = events.isEmpty() ? 0 : events.peek().time();
        long last = first;
        double cpuSeconds = 0;
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        List<Input> batch = new ArrayList<>();
        long passes = 0;
        while (!events.isEmpty()) {
            long now = events.peek().time();
            batch.clear();
            while (!events.isEmpty() && events.peek().time() == now) {
                batch.add(events.poll().input());
            }
            clock.now = EPOCH.plusSeconds(now);
            passes++;
            for (Decision d : scheduler.handle(batch)) {
                if (d instanceof Decision.Launch l) {
                    Swf.TraceJob j = byId.get(l.jobId());
                    start.put(j.id(), now);
                    events.add(new Event(now + j.runtime(), seq++, new Input.StepFinished(j.id(),
                            Scheduler.BATCH_STEP, JobState.COMPLETED, 0, 0, null)));
                    cpuSeconds += (double) j.procs() * j.runtime();
                    last = Math.max(last, now + j.runtime());
                }
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        // On a shared machine wall time says more about the neighbours than about the scheduler.
        double cpu = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
        if (System.getenv("SIM_DEBUG") != null) {
            System.err.println("passes " + passes);
        }
        double waitSum = 0;
        double bsldSum = 0;
        for (Swf.TraceJob j : byId.values()) {
            Long s = start.get(j.id());
            if (s == null) {
                throw new IllegalStateException("job " + j.id() + " never started");
            }
            long wait = s - j.submit();
            waitSum += wait;
            bsldSum += Math.max(1.0, (wait + j.runtime()) / (double) Math.max(j.runtime(), 10));
        }
        int n = byId.size();
        long makespan = last - first;
        return new Metrics(o.policy(), n, skipped, waitSum / n, bsldSum / n,
                makespan == 0 ? 0 : cpuSeconds / ((double) totalCpus * makespan), makespan, start.size() / wall,
                wall, cpu);
    }

    /** Slurm time limits are whole minutes: at least one, rounded up. */
    static int limitMinutes(Swf.TraceJob j, Estimate e) {
        double seconds = switch (e) {
            case Estimate.Actual a -> j.runtime();
            case Estimate.Factor f -> j.runtime() * f.factor();
            case Estimate.Trace t -> j.estimate() > 0 ? Math.max(j.estimate(), j.runtime()) : j.runtime();
        };
        return (int) Math.max(1, Math.ceil(seconds / 60.0));
    }
}
