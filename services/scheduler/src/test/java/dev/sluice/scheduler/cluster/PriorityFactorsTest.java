package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.Job;
import dev.sluice.scheduler.core.JobRequest;
import dev.sluice.scheduler.core.NodeState;
import dev.sluice.scheduler.core.Policy;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What sprio reads from GET /api/v1/jobs and GET /api/v1/priority/weights. */
@SuppressWarnings("unchecked")
class PriorityFactorsTest {
    private static final Instant NOW = Instant.parse("2026-01-08T00:00:00Z");
    private static final ClusterConfig CONFIG = ClusterConfig.parse("""
            PriorityWeightAge=1000
            PriorityWeightFairshare=10000
            PriorityMaxAge=7-0
            PartitionName=cpu Nodes=ALL Default=YES
            """);

    @Test
    void eachFactorIsItsWeightedShareAndThePrioritySumsThemLessNice() {
        Policy policy = new Policy(List.of(new Policy.Account("lab100", null, 100, Policy.Limits.NONE),
                new Policy.Account("lab50", null, 50, Policy.Limits.NONE)),
                List.of(new Policy.Association("alice", "lab100", 1, Policy.Limits.NONE),
                        new Policy.Association("alice", "lab50", 1, Policy.Limits.NONE)), Map.of(), Map.of());
        ClusterView view = new ClusterView(List.of(new ClusterView.NodeView("n1", NodeState.IDLE, null, 4, 0, 1000, 0,
                NOW, List.of("cpu"), null)), List.of());
        PriorityFactors f = new PriorityFactors(CONFIG, policy, view, NOW);

        // submitted 7 days ago (PriorityMaxAge): age factor 1; lab100 ranks first of two users: fairshare 1.0
        Map<String, Object> full = record(f, job(1, "lab100", Instant.parse("2026-01-01T00:00:00Z"), 0));
        assertThat(full.get("Priority")).isEqualTo(11000L);
        assertThat((Map<Object, Object>) full.get("PriorityFactors")).containsEntry("Age", 1000L)
                .containsEntry("Fairshare", 10000L).containsEntry("JobSize", 0L).containsEntry("Nice", 0);
        // just submitted, the second-ranked account (0.5), nice 100
        Map<String, Object> half = record(f, job(2, "lab50", NOW, 100));
        assertThat(half.get("Priority")).isEqualTo(4900L);
        assertThat((Map<Object, Object>) half.get("PriorityFactors")).containsEntry("Age", 0L)
                .containsEntry("Fairshare", 5000L).containsEntry("Nice", 100);
    }

    @Test
    void weightsAreSlurmConfsWithZeroForTheUnset() {
        Map<Object, Object> w = (Map<Object, Object>) PriorityFactors.weights(CONFIG).get("weights");
        assertThat(w).containsEntry("PriorityWeightAge", 1000L).containsEntry("PriorityWeightFairshare", 10000L)
                .containsEntry("PriorityWeightJobSize", 0L).containsEntry("PriorityWeightQOS", 0L);
    }

    private static Map<String, Object> record(PriorityFactors f, Job j) {
        Map<String, Object> m = new LinkedHashMap<>();
        f.addTo(j, m);
        return m;
    }

    private static Job job(long id, String account, Instant submit, int nice) {
        JobRequest r = new JobRequest(null, null, 1, null, 1, null, null, null).withAccount(account, null)
                .withNice(nice);
        return Job.pending(id, "alice", "cpu", r, submit);
    }
}
