package dev.sluice.simulator;

import dev.sluice.scheduler.core.Decision;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.JobRequest;
import dev.sluice.scheduler.core.Policy;
import dev.sluice.scheduler.core.PriorityStrategy;
import dev.sluice.scheduler.core.Scheduler;
import dev.sluice.scheduler.core.config.ClusterConfig;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * One full scheduling pass (multifactor priority, then EASY backfill) with 100,000 pending jobs on 10,000 nodes
 * (8,000 CPU nodes of 64 CPUs, 2,000 GPU nodes of 64 CPUs and 8 H100 on two sockets), the cluster 99% busy with
 * jobs of known limits, 50 users in 10 accounts with usage. Also the heap each pending job costs. A benchmark,
 * not a test: {@code simulator/bench-pass.sh [nodes] [pending]}.
 */
public final class PassBenchmark {
    private PassBenchmark() {
    }

    public static void main(String[] args) {
        int nodeCount = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int pendingCount = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int gpuNodes = nodeCount / 5;
        int cpuNodes = nodeCount - gpuNodes;
        String config = String.join("\n",
                "PriorityWeightAge=1000", "PriorityWeightFairshare=10000", "PriorityWeightJobSize=100",
                "PriorityWeightPartition=1000", "PriorityWeightQOS=1000", "PriorityWeightTRES=CPU=100,GRES/gpu=500",
                "NodeName=g[1-" + gpuNodes + "] CPUs=64 Sockets=2 CoresPerSocket=32 ThreadsPerCore=1 "
                        + "Gres=gpu:h100:4(S:0),gpu:h100:4(S:1)",
                "PartitionName=cpu Nodes=c[1-" + cpuNodes + "] Default=YES MaxTime=7-0",
                "PartitionName=gpu Nodes=g[1-" + gpuNodes + "] MaxTime=7-0 PriorityJobFactor=2", "");
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        Clock clock = Clock.fixed(t.plusSeconds(3600), ZoneOffset.UTC);
        Scheduler s = new Scheduler(ClusterConfig.parse(config), clock, PriorityStrategy.backfill());
        List<Integer> cpus = IntStream.range(0, 64).boxed().toList();
        List<Input> boot = new ArrayList<>();
        for (int i = 1; i <= cpuNodes; i++) {
            boot.add(new Input.NodeRegistered("c" + i, "b", cpus, 256_000, List.of()));
        }
        for (int i = 1; i <= gpuNodes; i++) {
            boot.add(new Input.NodeRegistered("g" + i, "b", cpus, 1_024_000, List.of()));
        }
        s.handle(boot);
        s.handle(new Input.PolicyChanged(policy()));

        Random r = new Random(42);
        long id = 1;
        List<Input> fill = new ArrayList<>();
        // Whole-node jobs on all but 1% of the nodes, with limits from 1 hour to 2 days.
        for (int i = 0; i < cpuNodes * 99 / 100; i++) {
            fill.add(submit(id++, r, new JobRequest(1, 1, 64, null, 1, null, null, 60 + r.nextInt(2880)), "cpu", t));
        }
        for (int i = 0; i < gpuNodes * 99 / 100; i++) {
            fill.add(submit(id++, r, new JobRequest(1, 1, 8, null, 1, null, null, 60 + r.nextInt(2880))
                    .withGpus(8, "h100"), "gpu", t));
        }
        long f0 = System.nanoTime();
        s.handle(fill);
        System.out.printf("fill: %d running jobs started in %.0f ms%n", fill.size(), (System.nanoTime() - f0) / 1e6);

        gc();
        long before = used();
        List<Input> pending = new ArrayList<>();
        for (int i = 0; i < pendingCount; i++) {
            boolean gpu = r.nextInt(5) == 0;
            int tasks = new int[]{1, 2, 4, 8, 16, 32, 64, 128, 256}[r.nextInt(9)];
            JobRequest req = new JobRequest(null, null, tasks, null, 1 + r.nextInt(2), null, null,
                    new int[]{30, 60, 120, 240, 720, 1440}[r.nextInt(6)]);
            if (gpu) {
                req = req.withGpus(1 + r.nextInt(8), "h100");
            }
            pending.add(submit(id++, r, req, gpu ? "gpu" : "cpu", t.plusSeconds(r.nextInt(3600))));
        }
        long p0 = System.nanoTime();
        List<Decision> first = s.handle(pending);
        pending = null;
        double firstMs = (System.nanoTime() - p0) / 1e6;
        long started = first.stream().filter(d -> d instanceof Decision.Launch).count();
        first = null;
        gc();
        long perJob = (used() - before) / pendingCount;
        System.out.printf("submit + first pass: %.0f ms (%d started, every reason announced)%n", firstMs, started);
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        List<Double> times = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long q0 = System.nanoTime();
            s.handle(new Input.Tick());
            times.add((System.nanoTime() - q0) / 1e6);
            cpu.add((threads.getCurrentThreadCpuTime() - c0) / 1e6);
        }
        times.sort(null);
        cpu.sort(null);
        // On a shared machine the wall time includes the neighbours; the thread's CPU time does not.
        System.out.printf("full pass, %d pending on %d nodes (7 passes): wall median %.0f ms best %.0f ms; "
                        + "CPU median %.0f ms best %.0f ms%n", pendingCount - started, nodeCount,
                times.get(3), times.get(0), cpu.get(3), cpu.get(0));
        System.out.printf("heap per pending job: %d bytes%n", perJob);
    }

    private static Input submit(long id, Random r, JobRequest req, String partition, Instant time) {
        int user = r.nextInt(50);
        return new Input.Submit(id, "user" + user, partition, req, time);
    }

    private static Policy policy() {
        List<Policy.Account> accounts = new ArrayList<>();
        List<Policy.Association> users = new ArrayList<>();
        java.util.Map<String, Double> usage = new java.util.HashMap<>();
        for (int a = 0; a < 10; a++) {
            accounts.add(new Policy.Account("acct" + a, null, 10 + a * 10, Policy.Limits.NONE));
        }
        Random r = new Random(1);
        for (int u = 0; u < 50; u++) {
            users.add(new Policy.Association("user" + u, "acct" + (u % 10), 1, Policy.Limits.NONE));
            usage.put("user" + u + "@acct" + (u % 10), r.nextDouble() * 1e6);
        }
        return new Policy(accounts, users, Map.of("normal", new Policy.Qos("normal", 10, null, false)), usage);
    }

    private static void gc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
    }

    private static long used() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
