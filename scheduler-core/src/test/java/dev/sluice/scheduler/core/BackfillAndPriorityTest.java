package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.slurm;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** EASY backfill and multifactor priority as a user sees them in squeue. */
class BackfillAndPriorityTest {
    static final String BACKFILL = "PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE";
    static final String BUILTIN = "SchedulerType=sched/builtin\n" + BACKFILL;

    /** Two 2-CPU nodes; job 1 holds n1 for 60 minutes; job 2 wants all four CPUs. */
    private static TestCluster wideJobBlocked(String config) {
        return slurm(config, node("n1", cpus(2)), node("n2", cpus(2)))
                .submit(job(1).tasks(2).time(60), job(2).tasks(4).time(10));
    }

    @Test
    void aShortJobBackfillsPastABlockedWideJob() {
        TestCluster c = wideJobBlocked(BACKFILL).submit(job(3).time(30));

        assertThat(c.reason(2)).isEqualTo(Reason.RESOURCES);
        assertThat(c.state(3)).as("30 minutes end before job 1's 60 do").isEqualTo(RUNNING);
    }

    @Test
    void theBlockedWideJobsExpectedStartIsItsReservation() {
        TestCluster c = wideJobBlocked(BACKFILL);

        // squeue --start: job 1 (60 minutes) ends at T0 + 60 min, when job 2's reservation begins
        assertThat(c.scheduler.plannedStarts()).containsEntry(2L, T0.plus(Duration.ofMinutes(60)));
        assertThat(c.scheduler.plannedStarts()).doesNotContainKey(1L);
        c.finish(1, COMPLETED, 0);
        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.scheduler.plannedStarts()).as("nothing waits any more").isEmpty();
    }

    @Test
    void aLongJobDoesNotBackfillBecauseItWouldDelayTheWideJob() {
        TestCluster c = wideJobBlocked(BACKFILL).submit(job(3).time(120));

        assertThat(c.state(3)).isEqualTo(PENDING);
        assertThat(c.reason(3)).isEqualTo(Reason.PRIORITY);
    }

    @Test
    void aJobWithoutATimeLimitNeverBackfillsIntoAReservation() {
        TestCluster c = wideJobBlocked(BACKFILL).submit(job(3));

        assertThat(c.reason(3)).isEqualTo(Reason.PRIORITY);
    }

    @Test
    void theBackfilledJobDoesNotDelayTheWideJob() {
        TestCluster c = wideJobBlocked(BACKFILL).submit(job(3).time(30));
        c.clock.advance(Duration.ofMinutes(30));
        c.finish(3, COMPLETED, 0);
        c.submit(job(4).time(30));
        assertThat(c.state(4)).as("a second short job fits before the reservation too").isEqualTo(RUNNING);
        c.clock.advance(Duration.ofMinutes(30));
        c.finish(4, COMPLETED, 0).finish(1, COMPLETED, 0);

        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.scheduler.job(2).orElseThrow().startTime()).isEqualTo(T0.plus(Duration.ofMinutes(60)));
    }

    @Test
    void aLongJobOnResourcesTheReservationDoesNotNeedStartsAtOnce() {
        // Job 2 needs 3 CPUs: at job 1's end it takes n1 and one CPU of n2, so n2's other CPU stays free.
        TestCluster c = slurm(BACKFILL, node("n1", cpus(2)), node("n2", cpus(2)))
                .submit(job(1).tasks(2).time(60), job(2).tasks(3).time(10), job(3).time(600), job(4).time(600));

        assertThat(c.reason(2)).isEqualTo(Reason.RESOURCES);
        assertThat(c.state(3)).isEqualTo(RUNNING);
        assertThat(c.reason(4)).as("the reservation needs the last CPU").isEqualTo(Reason.PRIORITY);
    }

    @Test
    void withoutBackfillTheShortJobWaitsBehindTheWideOne() {
        TestCluster c = wideJobBlocked(BUILTIN).submit(job(3).time(30));

        assertThat(c.reason(3)).isEqualTo(Reason.PRIORITY);
    }

    private static Policy shares(Map<String, Double> accountShares, Map<String, String> userAccount,
                                 Map<String, Double> usage) {
        List<Policy.Account> accounts = new ArrayList<>();
        accountShares.forEach((a, s) -> accounts.add(new Policy.Account(a, null, s, Policy.Limits.NONE)));
        List<Policy.Association> users = new ArrayList<>();
        userAccount.forEach((u, a) -> users.add(new Policy.Association(u, a, 1, Policy.Limits.NONE)));
        return new Policy(accounts, users, Map.of(), usage);
    }

    /** Start order on one CPU: a blocker runs, the others queue, then each finishes in turn. */
    private static List<Long> startOrder(TestCluster c, long blocker, long... queued) {
        List<Long> order = new ArrayList<>();
        c.finish(blocker, COMPLETED, 0);
        for (int i = 0; i < queued.length; i++) {
            long running = c.scheduler.jobs().stream().filter(j -> j.state() == RUNNING).findFirst()
                    .orElseThrow().id();
            order.add(running);
            c.finish(running, COMPLETED, 0);
        }
        return order;
    }

    @Test
    void with100Versus50SharesAndNoUsageThe100AccountsJobStartsFirst() {
        TestCluster c = slurm("PriorityWeightFairshare=10000\n" + BACKFILL, node("n1", cpus(1)))
                .policy(shares(Map.of("big", 100.0, "small", 50.0), Map.of("bea", "big", "sam", "small"), Map.of()))
                .submit(job(1).as("sam")).submit(job(2).as("sam"), job(3).as("bea"));

        assertThat(c.reason(3)).isEqualTo(Reason.RESOURCES);
        assertThat(c.reason(2)).isEqualTo(Reason.PRIORITY);
        assertThat(startOrder(c, 1, 2, 3)).containsExactly(3L, 2L);
    }

    @Test
    void aHeavyUserInOneLabDoesNotLowerTheSiblingLabsUsers() {
        Policy p = new Policy(
                List.of(new Policy.Account("labA", null, 1, Policy.Limits.NONE),
                        new Policy.Account("labB", null, 1, Policy.Limits.NONE)),
                List.of(new Policy.Association("heavy", "labA", 1, Policy.Limits.NONE),
                        new Policy.Association("light", "labA", 1, Policy.Limits.NONE),
                        new Policy.Association("bob", "labB", 1, Policy.Limits.NONE)),
                Map.of(), Map.of("heavy@labA", 1_000_000.0, "bob@labB", 10.0));
        TestCluster c = slurm("PriorityWeightFairshare=10000\n" + BACKFILL, node("n1", cpus(1)))
                .policy(p)
                .submit(job(1).as("heavy")).submit(job(2).as("heavy"), job(3).as("light"), job(4).as("bob"));

        assertThat(startOrder(c, 1, 2, 3, 4)).as("bob's lab used less; within labA light used less")
                .containsExactly(4L, 3L, 2L);
    }

    @Test
    void classicFairshareAlsoFavoursTheLighterAccount() {
        TestCluster c = slurm("PriorityFlags=NO_FAIR_TREE\nPriorityWeightFairshare=10000\n" + BACKFILL,
                        node("n1", cpus(1)))
                .policy(shares(Map.of("a", 1.0, "b", 1.0), Map.of("ann", "a", "ben", "b"),
                        Map.of("ann@a", 100.0, "ben@b", 1.0)))
                .submit(job(1).as("ann")).submit(job(2).as("ann"), job(3).as("ben"));

        assertThat(startOrder(c, 1, 2, 3)).containsExactly(3L, 2L);
    }

    @Test
    void niceLowersAJobBehindLaterOnes() {
        TestCluster c = slurm(BACKFILL, node("n1", cpus(1)))
                .submit(job(1)).submit(job(2).nice(100), job(3));

        assertThat(startOrder(c, 1, 2, 3)).containsExactly(3L, 2L);
    }

    @Test
    void ageRaisesTheOlderJob() {
        TestCluster c = slurm("PriorityWeightAge=1000\nPriorityMaxAge=1-0\nPriorityWeightJobSize=500\n"
                        + "PriorityFavorSmall=YES\n" + BACKFILL, node("n1", cpus(2)))
                .submit(job(1).tasks(2), job(2).tasks(2));
        c.clock.advance(Duration.ofHours(12));
        c.handle(new Input.Submit(3, "alice", null, job(3).request(), c.clock.instant()));

        assertThat(c.reason(2)).as("12 hours of age (500) outweigh job 3's smaller size").isEqualTo(Reason.RESOURCES);
        assertThat(c.reason(3)).isEqualTo(Reason.PRIORITY);
    }

    @Test
    void aHigherPriorityTierPartitionGoesFirst() {
        TestCluster c = slurm("""
                PartitionName=low Nodes=ALL Default=YES PriorityTier=1
                PartitionName=high Nodes=ALL PriorityTier=10
                """, node("n1", cpus(1)))
                .submit(job(1)).submit(job(2), job(3).partition("high"));

        assertThat(startOrder(c, 1, 2, 3)).containsExactly(3L, 2L);
    }

    @Test
    void qosPriorityWeighs() {
        Policy p = new Policy(List.of(), List.of(), Map.of("normal", new Policy.Qos("normal", 0, null, false),
                "urgent", new Policy.Qos("urgent", 100, null, false)), Map.of());
        TestCluster c = slurm("PriorityWeightQOS=1000\n" + BACKFILL, node("n1", cpus(1))).policy(p)
                .submit(job(1)).submit(job(2), job(3).qos("urgent"));

        assertThat(startOrder(c, 1, 2, 3)).containsExactly(3L, 2L);
    }

    @Test
    void heldJobsWaitUntilReleased() {
        TestCluster c = slurm(BACKFILL, node("n1", cpus(1))).submit(job(1), job(2));
        c.handle(new Input.Hold(2, false));
        c.finish(1, COMPLETED, 0);

        assertThat(c.reason(2)).isEqualTo(Reason.JOB_HELD_USER);
        c.handle(new Input.Release(2));
        assertThat(c.state(2)).isEqualTo(RUNNING);
    }

    @Test
    void aDrainedNodeLetsItsJobsFinishAndStartsNothingNew() {
        TestCluster c = slurm(BACKFILL, node("n1", cpus(2)), node("n2", cpus(2))).submit(job(1));
        c.handle(new Input.Drain("n1", "maintenance"));
        c.submit(job(2).tasks(2), job(3).tasks(2));

        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.allocation(2)).startsWith("n2");
        assertThat(c.reason(3)).isEqualTo(Reason.RESOURCES);
        c.finish(1, COMPLETED, 0);
        assertThat(c.lastChange(1).state()).isEqualTo(COMPLETED);
        assertThat(c.state(3)).as("n1 is drained: nothing new starts there").isEqualTo(PENDING);
        assertThat(c.nodeState("n1")).isEqualTo("DRAINED (maintenance)");
    }

    @Test
    void reconfiguringKeepsJobs() {
        TestCluster c = slurm(BACKFILL, node("n1", cpus(1))).submit(job(1), job(2));
        c.handle(new Input.Reconfigure(dev.sluice.scheduler.core.config.ClusterConfig.parse(
                "PartitionName=cpu Nodes=ALL Default=YES MaxTime=60")));

        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.state(2)).isEqualTo(PENDING);
        c.finish(1, COMPLETED, 0);
        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.scheduler.job(2).orElseThrow().timeLimitMinutes()).isEqualTo(60);
    }
}
