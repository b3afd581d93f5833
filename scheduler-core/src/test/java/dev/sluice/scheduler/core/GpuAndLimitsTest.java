package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.slurm;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Typed GPUs (cons_tres) and association/QoS limits, as users meet them. */
class GpuAndLimitsTest {
    static final String PARTITION = "PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE OverSubscribe=NO\n";
    static final String ONE_H100_NODE = "NodeName=g1 CPUs=16 Sockets=2 CoresPerSocket=8 ThreadsPerCore=1 "
            + "Gres=gpu:h100:4(S:0),gpu:h100:4(S:1)\n" + PARTITION;

    @Test
    void eightGpusWhenFourAreFreeWaitsForResourcesAndStartsWhenEightAre() {
        TestCluster c = slurm(ONE_H100_NODE, node("g1", cpus(16)))
                .submit(job(1).gpus("h100", 4), job(2).gpus("h100", 8));

        assertThat(c.reason(2)).isEqualTo(Reason.RESOURCES);
        c.finish(1, COMPLETED, 0);
        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.gpus(2)).isEqualTo("g1: 0,1,2,3,4,5,6,7");
    }

    @ParameterizedTest(name = "--gres=gpu:{0}:{1} on a node with 4 a100 and 4 h100 -> {2}")
    @CsvSource(delimiter = '|', value = {
            "h100 | 2 | g1: 4,5",
            "a100 | 4 | g1: 0,1,2,3",
            "     | 6 | g1: 0,1,2,3,4,5"})
    void gpusAreChosenByType(String type, int count, String expected) {
        TestCluster c = slurm("NodeName=g1 Gres=gpu:a100:4,gpu:h100:4\n" + PARTITION, node("g1", cpus(8)))
                .submit(job(1).gpus(type, count));

        assertThat(c.gpus(1)).isEqualTo(expected);
    }

    @Test
    void aTypeTheClusterLacksWaits() {
        TestCluster c = slurm(ONE_H100_NODE, node("g1", cpus(16))).submit(job(1).gpus("a100", 1));

        assertThat(c.reason(1)).isEqualTo(Reason.RESOURCES);
    }

    @Test
    void gpusAndTheCpusNearThemAreChosenTogether() {
        TestCluster c = slurm(ONE_H100_NODE, node("g1", cpus(16)))
                .submit(job(1).gpus("h100", 3), job(2).tasks(2).gpus("h100", 4));

        assertThat(c.gpus(1)).as("one socket has all four free").isEqualTo("g1: 0,1,2");
        assertThat(c.allocation(1)).isEqualTo("g1: 1 task, cpus 0");
        assertThat(c.gpus(2)).isEqualTo("g1: 4,5,6,7");
        assertThat(c.allocation(2)).as("socket 1's CPUs are 8-15").isEqualTo("g1: 2 tasks, cpus 8-9");
    }

    @Test
    void overSubscribeNoNeverPutsTwoJobsOnOneGpu() {
        TestCluster c = slurm("NodeName=g[1-2] Gres=gpu:h100:4\n" + PARTITION, node("g1", cpus(8)), node("g2", cpus(8)));
        Random random = new Random(7);
        for (int i = 1; i <= 30; i++) {
            c.submit(job(i).gpus("h100", 1 + random.nextInt(3)));
            if (i % 4 == 0) {
                c.scheduler.jobs().stream().filter(j -> j.state() == RUNNING).findFirst()
                        .ifPresent(j -> c.finish(j.id(), COMPLETED, 0));
            }
            Set<String> held = new HashSet<>();
            for (Job j : c.scheduler.jobs()) {
                for (NodeShare s : j.allocation()) {
                    for (int g : s.gpuIds()) {
                        assertThat(held.add(s.node() + ":" + g)).as("GPU %s:%s given twice", s.node(), g).isTrue();
                    }
                }
            }
        }
        assertThat(c.all(Decision.Launch.class)).hasSizeGreaterThan(8);
    }

    // ---- limits ----

    private static Policy.Limits none() {
        return Policy.Limits.NONE;
    }

    private static Policy lab(Policy.Limits accountLimits, Policy.Limits userLimits, Map<String, Policy.Qos> qos) {
        return new Policy(List.of(new Policy.Account("lab", null, 1, accountLimits)),
                List.of(new Policy.Association("alice", "lab", 1, userLimits)), qos, Map.of());
    }

    private static final String EIGHT_GPUS = "NodeName=g[1-2] Gres=gpu:h100:8\n" + PARTITION;

    @Test
    void qosMaxJobsPerUserHoldsTheThirdJob() {
        Policy.Qos normal = new Policy.Qos("normal", 0,
                none().withMaxJobsPerUser(2).withMaxTresPerUser(Map.of("gres/gpu", 4L)), false);
        TestCluster c = slurm(EIGHT_GPUS, node("g1", cpus(8)), node("g2", cpus(8)))
                .policy(lab(none(), none(), Map.of("normal", normal)))
                .submit(job(1).gpus(1), job(2).gpus(1), job(3).gpus(1));

        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.reason(3)).isEqualTo(Reason.QOS_MAX_JOBS_PER_USER_LIMIT);
        c.finish(1, COMPLETED, 0);
        assertThat(c.state(3)).isEqualTo(RUNNING);
    }

    @Test
    void qosMaxTresPerUserHoldsGpusOverTheLimit() {
        Policy.Qos normal = new Policy.Qos("normal", 0,
                none().withMaxJobsPerUser(2).withMaxTresPerUser(Map.of("gres/gpu", 4L)), false);
        TestCluster c = slurm(EIGHT_GPUS, node("g1", cpus(8)), node("g2", cpus(8)))
                .policy(lab(none(), none(), Map.of("normal", normal)))
                .submit(job(1).gpus(3), job(2).gpus(2));

        assertThat(c.reason(2)).isEqualTo(Reason.QOS_MAX_GRES_PER_USER);
    }

    @Test
    void grpTresOnAUserHoldsAThreeGpuJob() {
        TestCluster c = slurm(EIGHT_GPUS, node("g1", cpus(8)))
                .policy(lab(none(), none().withGrpTres(Map.of("gres/gpu", 2L)), Map.of()))
                .submit(job(1).gpus(3), job(2).gpus(2));

        assertThat(c.reason(1)).isEqualTo(Reason.ASSOC_GRP_GRES);
        assertThat(c.state(2)).isEqualTo(RUNNING);
    }

    @Test
    void maxJobsOnAnAccountHoldsTheEleventh() {
        TestCluster c = slurm(PARTITION, node("n1", cpus(16)))
                .policy(lab(none().withMaxJobs(10), none(), Map.of()));
        for (int i = 1; i <= 11; i++) {
            c.submit(job(i));
        }

        assertThat(c.state(10)).isEqualTo(RUNNING);
        assertThat(c.reason(11)).isEqualTo(Reason.ASSOC_MAX_JOBS_LIMIT);
    }

    @Test
    void accountGrpTresCountsEveryUserUnderIt() {
        Policy p = new Policy(List.of(new Policy.Account("lab", null, 1, none().withGrpTres(Map.of("gres/gpu", 4L)))),
                List.of(new Policy.Association("alice", "lab", 1, none()),
                        new Policy.Association("bob", "lab", 1, none())), Map.of(), Map.of());
        TestCluster c = slurm(EIGHT_GPUS, node("g1", cpus(8))).policy(p)
                .submit(job(1).gpus(3), job(2).as("bob").gpus(2));

        assertThat(c.reason(2)).isEqualTo(Reason.ASSOC_GRP_GRES);
    }

    @Test
    void denyOnLimitRejectsAtSubmissionWithSlurmsMessage() {
        Policy.Qos strict = new Policy.Qos("normal", 0, none().withMaxTresPerJob(Map.of("gres/gpu", 2L)), true);
        TestCluster c = slurm(EIGHT_GPUS, node("g1", cpus(8))).policy(lab(none(), none(), Map.of("normal", strict)))
                .submit(job(1).gpus(4));

        assertThat(c.lastChange(1).state()).isEqualTo(FAILED);
        assertThat(c.lastChange(1).detail())
                .isEqualTo("Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)");
    }

    @Test
    void maxWallHoldsALongJob() {
        TestCluster c = slurm(PARTITION, node("n1", cpus(2)))
                .policy(lab(none().withMaxWall(60), none(), Map.of()))
                .submit(job(1).time(120), job(2).time(60));

        assertThat(c.reason(1)).isEqualTo(Reason.ASSOC_MAX_WALL_DURATION_LIMIT);
        assertThat(c.state(2)).isEqualTo(RUNNING);
    }
}
