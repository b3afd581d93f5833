package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Partition GrpTRES (the seeds' GrpTRES=gres/gpu=20 on a partition line) and TRESBillingWeights. */
class PartitionTresTest {
    static final String GPU_PART = """
            NodeName=g[1-2] CPUs=16 Gres=gpu:h100:4
            PartitionName=gpu_part Nodes=g[1-2] Default=YES GrpTRES=gres/gpu=5,cpu=20 TRESBillingWeights="CPU=1.0,Mem=0.25G,GRES/gpu=2.0"
            """;

    @ParameterizedTest(name = "running {0}, then {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "--gres=gpu:4           | --gres=gpu:1       | RUNNING",
            "--gres=gpu:4           | --gres=gpu:2       | QOS_GRP_GRES",
            "-n 16                  | -n 4               | RUNNING",
            "-n 16                  | -n 5               | QOS_GRP_CPU_LIMIT",
            "-n 16                  | --gres=gpu:1       | RUNNING"})
    void thePartitionsRunningJobsStayWithinItsGrpTres(String first, String second, String expected) {
        TestCluster c = TestCluster.slurm(GPU_PART, node("g1", cpus(16)), node("g2", cpus(16)));
        c.submit(spec(1, first), spec(2, second));

        assertThat(c.state(1)).isEqualTo(RUNNING);
        String shown = c.state(2) == RUNNING ? "RUNNING" : c.reason(2).name();
        assertThat(shown).isEqualTo(expected.trim());
    }

    @Test
    void aJobHeldByTheLimitStartsWhenTheOtherEnds() {
        TestCluster c = TestCluster.slurm(GPU_PART, node("g1", cpus(16)), node("g2", cpus(16)))
                .submit(job(1).gpus(4), job(2).gpus(4));
        assertThat(c.reason(2)).isEqualTo(Reason.QOS_GRP_GRES);

        c.finish(1, COMPLETED, 0);
        assertThat(c.state(2)).isEqualTo(RUNNING);
    }

    @ParameterizedTest(name = "{0} bills {1}")
    @CsvSource(delimiter = '|', value = {
            "-n 4                    | 4.0",
            "-n 2 --mem=8192         | 4.0",
            "-n 1 --gres=gpu:2       | 5.0"})
    void billingFollowsTresBillingWeights(String options, double expected) {
        TestCluster c = TestCluster.slurm(GPU_PART, node("g1", cpus(16), mem(64000)));
        c.submit(spec(1, options));

        assertThat(c.scheduler.billing(c.scheduler.job(1).orElseThrow())).isEqualTo(expected);
    }

    @Test
    void withoutWeightsAJobBillsItsCpus() {
        TestCluster c = TestCluster.cluster(node("n1", cpus(8))).submit(job(1).tasks(3).gpus(0));

        assertThat(c.scheduler.billing(c.scheduler.job(1).orElseThrow())).isEqualTo(3.0);
    }

    private static JobSpec spec(long id, String options) {
        JobSpec j = job(id);
        for (String o : options.trim().split(" +(?=-)")) {
            String[] kv = o.trim().split("[= ]");
            j = switch (kv[0]) {
                case "--gres" -> j.gpus(Integer.parseInt(kv[1].split(":")[1]));
                case "--mem" -> j.mem(Long.parseLong(kv[1]));
                default -> j.tasks(Integer.parseInt(kv[1]));
            };
        }
        return j;
    }
}
