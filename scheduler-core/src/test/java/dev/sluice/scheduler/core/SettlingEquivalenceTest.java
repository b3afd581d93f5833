package dev.sluice.scheduler.core;

import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * FIFO skips settled jobs once every node is blocked (see {@link FifoStrategy}); the same strategy behind a plain
 * round visits every pending job every pass. Random workloads on small clusters, with what could make a skipped
 * job's answer change (holds, releases, dependencies, begin times, limits, updates, cancels, early ends, drains,
 * a node lost, two partitions with MaxTime, MaxNodes and GrpTRES, -p a,b, -w), must give the same decisions, every
 * one of them, in the same order, at every step.
 */
class SettlingEquivalenceTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static final class MutableClock extends Clock {
        Instant now = T0;

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

    /** FIFO as it was: the same loop over {@code pending()}, through a round that offers no settling. */
    static final SchedulingStrategy VISIT_EVERYTHING = round -> new FifoStrategy().schedule(new Plain(round));

    @Test
    void settledFifoDecidesExactlyAsVisitingEveryJob() {
        long settledPasses = 0;
        for (int seed = 0; seed < 100; seed++) {
            settledPasses += compare(seed, new FifoStrategy(), VISIT_EVERYTHING);
        }
        // the skipping path did run, often
        assertThat(settledPasses).isGreaterThan(300);
    }

    /**
     * EASY backfill asks the core's round only whether a job fits now when it would run past a reservation (and
     * the round remembers shapes that fit an unchanged pool); through a plain round every such question builds a
     * placement. Same decisions either way.
     */
    @Test
    void backfillAskingOnlyWhetherAJobFitsDecidesAsPlacingIt() {
        for (int seed = 0; seed < 60; seed++) {
            compare(seed, PriorityStrategy.backfill(),
                    round -> PriorityStrategy.backfill().schedule(new Plain(round)));
        }
    }

    private static long compare(int seed, SchedulingStrategy fastStrategy, SchedulingStrategy fullStrategy) {
        return compare(seed, fastStrategy, fullStrategy, s -> {
        }).settledPasses;
    }

    /** @param setup applied to the fast scheduler before anything happens; returns the fast scheduler */
    static Scheduler compare(int seed, SchedulingStrategy fastStrategy, SchedulingStrategy fullStrategy,
                             java.util.function.Consumer<Scheduler> setup) {
        Random rnd = new Random(seed);
        String conf = "PartitionName=a Nodes=n[1-3] Default=YES MaxTime=" + (rnd.nextBoolean() ? "60" : "INFINITE")
                + (rnd.nextInt(3) == 0 ? " MaxNodes=1" : "") + "\n"
                + "PartitionName=b Nodes=n[3-4] MaxTime=30" + (rnd.nextInt(3) == 0 ? " GrpTRES=cpu=4" : "") + "\n";
        ClusterConfig config = ClusterConfig.parse(conf);
        MutableClock clock = new MutableClock();
        Scheduler fast = new Scheduler(config, clock, fastStrategy);
        Scheduler full = new Scheduler(config, clock, fullStrategy);
        setup.accept(fast);
        List<Input> boot = new ArrayList<>();
        for (int n = 1; n <= 4; n++) {
            int cpus = 2 + rnd.nextInt(3);
            boot.add(new Input.NodeRegistered("n" + n, "b", IntStream.range(0, cpus).boxed().toList(), 8192,
                    List.of()));
        }
        step(fast, full, boot, seed, -1);
        long nextId = 1;
        List<Long> submitted = new ArrayList<>();
        for (int s = 0; s < 160; s++) {
            clock.now = clock.now.plusSeconds(rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(120));
            List<Input> batch = new ArrayList<>();
            int count = 1 + rnd.nextInt(3);
            for (int k = 0; k < count; k++) {
                int what = rnd.nextInt(100);
                if (what < 45) {
                    long id = nextId++;
                    submitted.add(id);
                    batch.add(submit(rnd, id, submitted, clock.now));
                } else if (what < 70) {
                    List<Long> running = ids(fast, JobState.RUNNING);
                    if (!running.isEmpty()) {
                        long id = running.get(rnd.nextInt(running.size()));
                        batch.add(new Input.StepFinished(id, Scheduler.BATCH_STEP,
                                rnd.nextInt(4) == 0 ? JobState.FAILED : JobState.COMPLETED, rnd.nextInt(2), 0, null));
                    }
                } else if (what < 76) {
                    pick(rnd, fast).ifPresent(id -> batch.add(new Input.Hold(id, rnd.nextBoolean())));
                } else if (what < 82) {
                    pick(rnd, fast).ifPresent(id -> batch.add(new Input.Release(id)));
                } else if (what < 85) {
                    pick(rnd, fast).ifPresent(id -> batch.add(new Input.Cancel(id)));
                } else if (what < 88) {
                    pick(rnd, fast).ifPresent(id -> batch.add(new Input.Update(id, true, 1 + rnd.nextInt(40),
                            null, rnd.nextInt(3) == 0 ? 10 : null, null)));
                } else if (what < 91) {
                    String node = "n" + (1 + rnd.nextInt(4));
                    batch.add(rnd.nextBoolean() ? new Input.Drain(node, "maint") : new Input.Resume(node));
                } else if (what < 93) {
                    batch.add(new Input.PolicyChanged(rnd.nextBoolean() ? Policy.NONE : limited(rnd)));
                } else if (what < 94) {
                    batch.add(new Input.Down("n" + (1 + rnd.nextInt(4)), "gone"));
                } else {
                    batch.add(new Input.Tick());
                }
            }
            for (int n = 1; n <= 4; n++) {
                batch.add(new Input.Heartbeat("n" + n));
            }
            step(fast, full, batch, seed, s);
        }
        assertThat(fast.jobs()).isEqualTo(full.jobs());
        return fast;
    }

    private static void step(Scheduler fast, Scheduler full, List<Input> batch, int seed, int s) {
        List<Decision> a = fast.handle(batch);
        List<Decision> b = full.handle(batch);
        assertThat(a).as("seed %d step %d: %s", seed, s, batch).isEqualTo(b);
    }

    private static Input submit(Random rnd, long id, List<Long> earlier, Instant now) {
        int tasks = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 12 : 4);
        JobRequest r = new JobRequest(null, null, tasks, null, 1, null, null, 1 + rnd.nextInt(rnd.nextInt(5) == 0 ? 90 : 20));
        int extra = rnd.nextInt(20);
        if (extra == 0 && earlier.size() > 1) {
            r = r.withDependency((rnd.nextBoolean() ? "afterok:" : "afterany:") + earlier.get(rnd.nextInt(earlier.size() - 1)));
        } else if (extra == 1) {
            r = r.withBeginTime(now.plusSeconds(rnd.nextInt(600)));
        } else if (extra == 2) {
            r = r.withNodes("n" + (1 + rnd.nextInt(3)), null);
        } else if (extra == 3) {
            r = r.withNodes(null, "n1");
        }
        String partition = switch (rnd.nextInt(8)) {
            case 0 -> "b";
            case 1 -> "a,b";
            case 2 -> "a";
            default -> null;
        };
        // out of submit order now and then: the queue merges those
        Instant at = rnd.nextInt(15) == 0 ? now.minusSeconds(1 + rnd.nextInt(300)) : now;
        return new Input.Submit(id, rnd.nextInt(3) == 0 ? "bob" : "alice", partition, r, at);
    }

    private static Policy limited(Random rnd) {
        return new Policy(List.of(new Policy.Account("lab", null, 1, Policy.Limits.NONE)),
                List.of(new Policy.Association("alice", "lab", 1, Policy.Limits.NONE.withMaxJobs(1 + rnd.nextInt(3)))),
                Map.of(), Map.of());
    }

    private static List<Long> ids(Scheduler s, JobState state) {
        return s.jobs().stream().filter(j -> j.state() == state).map(Job::id).toList();
    }

    private static Optional<Long> pick(Random rnd, Scheduler s) {
        List<Long> pending = ids(s, JobState.PENDING);
        return pending.isEmpty() ? Optional.empty() : Optional.of(pending.get(rnd.nextInt(pending.size())));
    }

    /** Every call passed on; not a {@link SettlingRound}, so FIFO visits every pending job. */
    record Plain(SchedulingRound r) implements SchedulingRound {
        public List<Job> pending() {
            return r.pending();
        }

        public Optional<Reason> ineligible(Job job) {
            return r.ineligible(job);
        }

        public Set<String> candidateNodes(Job job) {
            return r.candidateNodes(job);
        }

        public Optional<List<NodeShare>> fit(Job job) {
            return r.fit(job);
        }

        public void start(Job job, List<NodeShare> shares) {
            r.start(job, shares);
        }

        public void hold(Job job, Reason reason) {
            r.hold(job, reason);
        }

        public Instant now() {
            return r.now();
        }

        public List<Job> running() {
            return r.running();
        }

        public ResourcePool pool() {
            return r.pool();
        }

        public Optional<List<NodeShare>> fit(Job job, ResourcePool pool) {
            return r.fit(job, pool);
        }

        public BitSet candidateMask(Job job) {
            return r.candidateMask(job);
        }

        public Instant expectedEnd(Job running) {
            return r.expectedEnd(running);
        }

        public Integer timeLimit(Job pending) {
            return r.timeLimit(pending);
        }

        public double priority(Job job) {
            return r.priority(job);
        }

        public int priorityTier(Job job) {
            return r.priorityTier(job);
        }
    }
}
