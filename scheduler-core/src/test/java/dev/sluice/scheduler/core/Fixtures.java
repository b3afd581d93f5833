package dev.sluice.scheduler.core;

import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.config.Hostlist;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The small vocabulary the scenario tests are written in: {@code node("n1", cpus(2), mem(4096))}, {@code job(1).tasks(4)}. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Fixtures() {
    }

    record Cpus(int count) {
    }

    record Mem(long mb) {
    }

    record NodeSpec(String name, int cpus, long memMb) {
        Input.NodeRegistered registration(String bootId) {
            return new Input.NodeRegistered(name, bootId, IntStream.range(0, cpus).boxed().toList(), memMb, List.of());
        }
    }

    static Cpus cpus(int n) {
        return new Cpus(n);
    }

    static Mem mem(long mb) {
        return new Mem(mb);
    }

    static NodeSpec node(String name, Cpus cpus, Mem mem) {
        return new NodeSpec(name, cpus.count(), mem.mb());
    }

    static NodeSpec node(String name, Cpus cpus) {
        return node(name, cpus, mem(8192));
    }

    static JobSpec job(long id) {
        return new JobSpec(id, null, null, null, null, null, null, null, null, null, Extra.NONE, List.of(), null);
    }

    /** A job as sbatch options; each method is the option of the same meaning. */
    /** Who submits and under what: user, --account, --qos, --nice, --gres=gpu[:type]:N. */
    record Extra(String user, String account, String qos, Integer nice, Integer gpus, String gpuType) {
        static final Extra NONE = new Extra("alice", null, null, null, null, null);
    }

    record JobSpec(long id, String partition, Integer ntasks, Integer cpusPerTask, Integer nodesMin,
                   Integer nodesMax, Integer perNode, Long memMb, Long memPerCpuMb, Integer timeMinutes, Extra x,
                   List<java.util.function.UnaryOperator<JobRequest>> mods, List<String> groups) {
        JobSpec as(String user) {
            return with(new Extra(user, x.account(), x.qos(), x.nice(), x.gpus(), x.gpuType()));
        }

        JobSpec account(String a) {
            return with(new Extra(x.user(), a, x.qos(), x.nice(), x.gpus(), x.gpuType()));
        }

        JobSpec qos(String q) {
            return with(new Extra(x.user(), x.account(), q, x.nice(), x.gpus(), x.gpuType()));
        }

        JobSpec nice(int n) {
            return with(new Extra(x.user(), x.account(), x.qos(), n, x.gpus(), x.gpuType()));
        }

        /** {@code --gres=gpu:N} */
        JobSpec gpus(int n) {
            return with(new Extra(x.user(), x.account(), x.qos(), x.nice(), n, null));
        }

        /** {@code --gres=gpu:type:N} */
        JobSpec gpus(String type, int n) {
            return with(new Extra(x.user(), x.account(), x.qos(), x.nice(), n, type));
        }

        private JobSpec with(Extra e) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, nodesMin, nodesMax, perNode, memMb, memPerCpuMb,
                    timeMinutes, e, mods, groups);
        }

        JobSpec tasks(int n) {
            return new JobSpec(id, partition, n, cpusPerTask, nodesMin, nodesMax, perNode, memMb, memPerCpuMb, timeMinutes, x, mods, groups);
        }

        JobSpec cpusPerTask(int c) {
            return new JobSpec(id, partition, ntasks, c, nodesMin, nodesMax, perNode, memMb, memPerCpuMb, timeMinutes, x, mods, groups);
        }

        JobSpec nodes(int min) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, min, null, perNode, memMb, memPerCpuMb, timeMinutes, x, mods, groups);
        }

        JobSpec nodes(int min, int max) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, min, max, perNode, memMb, memPerCpuMb, timeMinutes, x, mods, groups);
        }

        JobSpec perNode(int n) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, nodesMin, nodesMax, n, memMb, memPerCpuMb, timeMinutes, x, mods, groups);
        }

        JobSpec mem(long mb) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, nodesMin, nodesMax, perNode, mb, memPerCpuMb, timeMinutes, x, mods, groups);
        }

        JobSpec memPerCpu(long mb) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, nodesMin, nodesMax, perNode, memMb, mb, timeMinutes, x, mods, groups);
        }

        JobSpec time(int minutes) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, nodesMin, nodesMax, perNode, memMb, memPerCpuMb, minutes, x, mods, groups);
        }

        JobSpec partition(String p) {
            return new JobSpec(id, p, ntasks, cpusPerTask, nodesMin, nodesMax, perNode, memMb, memPerCpuMb, timeMinutes, x, mods, groups);
        }

        JobRequest request() {
            JobRequest r = new JobRequest(nodesMin, nodesMax, ntasks, perNode, cpusPerTask, memMb, memPerCpuMb,
                    timeMinutes, null, x.account(), x.qos(), x.nice(), x.gpus(), x.gpuType());
            for (var m : mods) {
                r = m.apply(r);
            }
            return r;
        }

        /** Any other sbatch option, as a change to the request. */
        JobSpec with(java.util.function.UnaryOperator<JobRequest> mod) {
            List<java.util.function.UnaryOperator<JobRequest>> all = new ArrayList<>(mods);
            all.add(mod);
            return new JobSpec(id, partition, ntasks, cpusPerTask, nodesMin, nodesMax, perNode, memMb, memPerCpuMb,
                    timeMinutes, x, List.copyOf(all), groups);
        }

        /** {@code --dependency=...} */
        JobSpec dependency(String d) {
            return with(r -> r.withDependency(d));
        }

        /** {@code -J name} */
        JobSpec named(String n) {
            return with(r -> r.withName(n));
        }

        /** {@code --begin=T0+d} */
        JobSpec begin(Duration d) {
            return with(r -> r.withBeginTime(T0.plus(d)));
        }

        /** {@code --requeue} / {@code --no-requeue} */
        JobSpec requeue(boolean q) {
            return with(r -> r.withRequeue(q));
        }

        /** {@code --array=spec} */
        JobSpec array(String spec) {
            return with(r -> r.withArray(spec));
        }

        /** {@code -w hostlist} */
        JobSpec nodelist(String hosts) {
            return with(r -> r.withNodes(hosts, r.excludeNodes()));
        }

        /** {@code -x hostlist} */
        JobSpec exclude(String hosts) {
            return with(r -> r.withNodes(r.nodeList(), hosts));
        }

        /** {@code -C features} */
        JobSpec constraint(String c) {
            return with(r -> r.withConstraint(c));
        }

        /** {@code --gpus=[type:]N} */
        JobSpec gpusTotal(String type, int n) {
            return with(r -> r.withGpusTotal(n, type));
        }

        /** {@code --gpus-per-task=[type:]N} */
        JobSpec gpusPerTask(String type, int n) {
            return with(r -> r.withGpusPerTask(n, type));
        }

        /** {@code --mem-per-gpu=MB} */
        JobSpec memPerGpu(long mb) {
            return with(r -> r.withMemPerGpu(mb));
        }

        /** {@code -m cyclic} */
        JobSpec cyclic() {
            return with(r -> r.withDistribution("cyclic"));
        }

        /** {@code --exclusive} */
        JobSpec exclusive() {
            return with(r -> r.withExclusive(true));
        }

        /** The submitting user's Unix groups (AllowGroups). */
        JobSpec groups(String... g) {
            return new JobSpec(id, partition, ntasks, cpusPerTask, nodesMin, nodesMax, perNode, memMb, memPerCpuMb,
                    timeMinutes, x, mods, List.of(g));
        }
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now = T0;

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** A scheduler with a manual clock that remembers every decision it made. */
    static final class TestCluster {
        final ManualClock clock = new ManualClock();
        final Scheduler scheduler;
        final List<Decision> decisions = new ArrayList<>();
        List<Decision> last = List.of();
        private long submitSeq;

        TestCluster(String config) {
            scheduler = new Scheduler(ClusterConfig.parse(config), clock);
        }

        TestCluster(String config, SchedulingStrategy strategy) {
            scheduler = new Scheduler(ClusterConfig.parse(config), clock, strategy);
        }

        /** A cluster scheduled as slurm.conf's SchedulerType (sched/backfill unless the config says otherwise). */
        static TestCluster slurm(String config, NodeSpec... nodes) {
            TestCluster c = new TestCluster(config, PriorityStrategy.fromConfig(ClusterConfig.parse(config)));
            for (NodeSpec n : nodes) {
                c.handle(n.registration("boot-1"));
            }
            return c;
        }

        TestCluster policy(Policy p) {
            handle(new Input.PolicyChanged(p));
            return this;
        }

        /** The GPU indices the job holds, node by node: {@code g1: 0-3}. */
        String gpus(long id) {
            return scheduler.job(id).orElseThrow().allocation().stream()
                    .map(s -> s.node() + ": " + s.gpuIds().stream().map(String::valueOf)
                            .collect(Collectors.joining(",")))
                    .collect(Collectors.joining("; "));
        }

        static TestCluster cluster(NodeSpec... nodes) {
            return cluster("PartitionName=cpu Nodes=ALL Default=YES", nodes);
        }

        static TestCluster cluster(String config, NodeSpec... nodes) {
            TestCluster c = new TestCluster(config);
            for (NodeSpec n : nodes) {
                c.handle(n.registration("boot-1"));
            }
            return c;
        }

        List<Decision> handle(Input... inputs) {
            last = scheduler.handle(inputs);
            decisions.addAll(last);
            return last;
        }

        /** Submits in the order given, one second apart, so FIFO order is the argument order. */
        TestCluster submit(JobSpec... jobs) {
            List<Input> in = new ArrayList<>();
            for (JobSpec j : jobs) {
                in.add(new Input.Submit(j.id(), j.x().user(), j.partition(), j.request(), T0.plusSeconds(++submitSeq),
                        j.groups()));
            }
            last = scheduler.handle(in);
            decisions.addAll(last);
            return this;
        }

        TestCluster finish(long jobId, JobState state, int exitCode) {
            handle(new Input.StepFinished(jobId, "batch", state, exitCode, 0, null));
            return this;
        }

        TestCluster cancel(long jobId) {
            handle(new Input.Cancel(jobId));
            return this;
        }

        /** Time passes with every node's heartbeat arriving, so only what the jobs do changes. */
        TestCluster elapse(Duration d) {
            clock.advance(d);
            List<Input> in = new ArrayList<>();
            for (Node n : scheduler.nodes()) {
                in.add(new Input.Heartbeat(n.name()));
            }
            in.add(new Input.Tick());
            handle(in.toArray(new Input[0]));
            return this;
        }

        TestCluster after(Duration d) {
            clock.advance(d);
            handle(new Input.Tick());
            return this;
        }

        JobState state(long id) {
            return scheduler.job(id).map(Job::state).orElseGet(() -> lastChange(id).state());
        }

        Reason reason(long id) {
            return scheduler.job(id).orElseThrow().reason();
        }

        Decision.StateChanged lastChange(long id) {
            return changes(id).getLast();
        }

        List<Decision.StateChanged> changes(long id) {
            return decisions.stream().filter(d -> d instanceof Decision.StateChanged s && s.jobId() == id)
                    .map(d -> (Decision.StateChanged) d).toList();
        }

        <T extends Decision> List<T> all(Class<T> type) {
            return decisions.stream().filter(type::isInstance).map(type::cast).toList();
        }

        /** The allocation as people read it: {@code n1: 2 tasks, cpus 0-1}, nodes separated by {@code ; }. */
        String allocation(long id) {
            return scheduler.job(id).orElseThrow().allocation().stream().map(Fixtures::describe)
                    .collect(Collectors.joining("; "));
        }

        String nodeState(String name) {
            Node n = scheduler.node(name).orElseThrow();
            return n.reason() == null ? n.state().name() : n.state() + " (" + n.reason() + ")";
        }
    }

    static String describe(NodeShare s) {
        String cpus = s.cpuIds().isEmpty() ? "" : Hostlist.compress(s.cpuIds().stream().map(c -> "c" + c).toList());
        return s.node() + ": " + s.tasks() + (s.tasks() == 1 ? " task" : " tasks") + ", cpus "
                + cpus.replace("c", "").replace("[", "").replace("]", "")
                + (s.memMb() > 0 ? ", mem " + s.memMb() : "");
    }

    static List<String> list(String... s) {
        return Arrays.asList(s);
    }
}
