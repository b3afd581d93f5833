package dev.sluice.scheduler.policy;

import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.accounting.FairshareUsage;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.JobRequest;
import dev.sluice.scheduler.core.PriorityStrategy;
import dev.sluice.scheduler.core.Reason;
import dev.sluice.scheduler.core.Scheduler;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * sacctmgr's commands, as the accounting events they publish, reach the core through the {@link PolicyBook} and
 * order and hold jobs as they do in Slurm.
 */
class SacctmgrPolicyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void theAccountWithMoreSharesGoesFirstWhenNeitherHasUsage() {
        String conf = """
                ClusterName=sluice
                PriorityType=priority/multifactor
                PriorityWeightFairshare=10000
                PriorityWeightAge=0
                PriorityWeightJobSize=0
                PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
                """;
        PolicyBook book = new PolicyBook();
        // sacctmgr add account ops Fairshare=1 / lab100 Fairshare=100 / lab50 Fairshare=50, then the user in all three
        book.apply(account("root", null, 1, Map.of()));
        book.apply(account("ops", "root", 1, Map.of()));
        book.apply(account("lab100", "root", 100, Map.of()));
        book.apply(account("lab50", "root", 50, Map.of()));
        book.apply(user("alice", "ops", Map.of(), "ops"));
        book.apply(user("alice", "lab100", Map.of(), "ops"));
        book.apply(user("alice", "lab50", Map.of(), "ops"));
        Scheduler s = scheduler(conf, book);
        s.handle(new Input.Submit(1, "alice", null, req(8, null), T0));
        s.handle(new Input.Submit(2, "alice", null, req(4, null).withAccount("lab50", null), T0.plusSeconds(1)));
        s.handle(new Input.Submit(3, "alice", null, req(4, null).withAccount("lab100", null), T0.plusSeconds(2)));

        assertThat(s.job(3).orElseThrow().reason()).isEqualTo(Reason.RESOURCES);
        assertThat(s.job(2).orElseThrow().reason()).isEqualTo(Reason.PRIORITY);
    }

    @Test
    void grpTresSetOnAUserAssociationHoldsAThreeGpuJob() {
        String conf = """
                ClusterName=sluice
                NodeName=node[01-02] Gres=gpu:h100:4
                PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
                """;
        PolicyBook book = new PolicyBook();
        book.apply(account("root", null, 1, Map.of()));
        book.apply(account("gpus", "root", 1, Map.of()));
        book.apply(account("small", "root", 1, Map.of()));
        book.apply(account("many", "root", 1, Map.of("MaxJobs", "10")));
        book.apply(user("alice", "gpus", Map.of(), "gpus"));
        book.apply(user("alice", "small", Map.of(), "gpus"));
        book.apply(user("alice", "many", Map.of(), "gpus"));
        // sacctmgr -i modify user alice where Account=small set GrpTRES=gres/gpu=2
        book.apply(user("alice", "small", Map.of("GrpTRES", "gres/gpu=2"), "gpus"));
        Scheduler s = scheduler(conf, book);
        s.handle(new Input.Submit(1, "alice", null, req(1, null).withAccount("small", null).withGpus(3, null), T0));
        s.handle(new Input.Submit(2, "alice", null, req(1, null).withAccount("small", null).withGpus(2, null),
                T0.plusSeconds(1)));

        assertThat(s.job(1).orElseThrow().reason()).isEqualTo(Reason.ASSOC_GRP_GRES);
        assertThat(s.job(2).orElseThrow().state()).isEqualTo(dev.sluice.scheduler.core.JobState.RUNNING);
    }

    /**
     * Accounting publishes every association's usage every few seconds, under the association's own Kafka key. The
     * live failure of the two tests above: the usage replaced the association in the book, so shares and limits
     * were gone once the first usage arrived.
     */
    @Test
    void usageUnderTheSameKeyKeepsTheAssociationsSharesAndLimits() {
        String conf = """
                ClusterName=sluice
                PriorityType=priority/multifactor
                PriorityWeightFairshare=10000
                PriorityWeightAge=0
                PriorityWeightJobSize=0
                PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
                """;
        PolicyBook book = new PolicyBook();
        book.apply(account("root", null, 1, Map.of()));
        book.apply(account("lab100", "root", 100, Map.of()));
        book.apply(account("lab50", "root", 50, Map.of()));
        book.apply(account("many", "root", 1, Map.of("MaxJobs", "2")));
        book.apply(user("alice", "many", Map.of(), "many"));
        book.apply(user("alice", "lab100", Map.of(), "many"));
        book.apply(user("alice", "lab50", Map.of(), "many"));
        for (String acct : List.of("root", "lab100", "lab50", "many")) {
            assertThat(book.apply(new FairshareUsage("sluice", acct, null, 0.0, T0))).isTrue();
        }
        for (String acct : List.of("lab100", "lab50", "many")) {
            assertThat(book.apply(new FairshareUsage("sluice", acct, "alice", 0.0, T0))).isTrue();
        }
        assertThat(book.policy().accounts()).extracting(a -> a.name() + "=" + a.shares())
                .containsExactlyInAnyOrder("lab100=100.0", "lab50=50.0", "many=1.0");
        assertThat(book.policy().users()).hasSize(3);

        Scheduler s = scheduler(conf, book);
        for (int id = 1; id <= 3; id++) {
            s.handle(new Input.Submit(id, "alice", null, req(1, null).withAccount("many", null), T0.plusSeconds(id)));
        }
        assertThat(s.job(3).orElseThrow().reason()).isEqualTo(Reason.ASSOC_MAX_JOBS_LIMIT);
        s.handle(new Input.Submit(4, "alice", null, req(8, null).withAccount("lab50", null), T0.plusSeconds(4)));
        s.handle(new Input.Submit(5, "alice", null, req(8, null).withAccount("lab100", null), T0.plusSeconds(5)));
        assertThat(s.job(5).orElseThrow().reason()).isEqualTo(Reason.RESOURCES);
        assertThat(s.job(4).orElseThrow().reason()).isEqualTo(Reason.PRIORITY);
    }

    private static JobRequest req(int tasks, Integer time) {
        return new JobRequest(null, null, tasks, null, 1, null, null, time);
    }

    private static Scheduler scheduler(String conf, PolicyBook book) {
        ClusterConfig config = ClusterConfig.parse(conf);
        Scheduler s = new Scheduler(config, Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC),
                PriorityStrategy.fromConfig(config));
        for (String n : List.of("node01", "node02")) {
            s.handle(new Input.NodeRegistered(n, "b", IntStream.range(0, 4).boxed().toList(), 8192, List.of()));
        }
        s.handle(new Input.PolicyChanged(book.policy()));
        return s;
    }

    private static AssociationChanged account(String name, String parent, int shares, Map<String, String> limits) {
        return new AssociationChanged("sluice", name, null, null, parent, shares, limits, List.of(), null, null, false,
                T0);
    }

    private static AssociationChanged user(String user, String account, Map<String, String> limits, String def) {
        return new AssociationChanged("sluice", account, user, null, account, 1, limits, List.of(), null, def, false,
                T0);
    }
}
