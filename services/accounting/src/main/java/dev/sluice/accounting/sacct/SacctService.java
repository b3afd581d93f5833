package dev.sluice.accounting.sacct;

import dev.sluice.accounting.billing.BillingConfig;
import dev.sluice.accounting.history.JobRow;
import dev.sluice.accounting.history.StepRow;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Answers a {@link SacctQuery} from the history tables. */
@ApplicationScoped
public class SacctService {
    @Inject
    Mutiny.SessionFactory sessions;
    @Inject
    BillingConfig billing;

    public Uni<List<SacctRecord>> find(SacctQuery q, Instant now) {
        return find(q, now, new SacctTiming(System.nanoTime()));
    }

    /** As {@link #find(SacctQuery, Instant)}, marking {@code session}, {@code jobs}, {@code steps}, {@code build}. */
    public Uni<List<SacctRecord>> find(SacctQuery q, Instant now, SacctTiming timing) {
        StringBuilder hql = new StringBuilder("from JobRow j where j.submitTime is not null");
        Map<String, Object> params = new LinkedHashMap<>();
        if (!q.jobs().isEmpty()) {
            // sacct -j 42 of an array: every task of it, as Slurm lists them
            hql.append(" and (j.jobId in :jobs or j.arrayJobId in :jobs)");
            params.put("jobs", q.jobs());
        }
        if (!q.users().isEmpty()) {
            hql.append(" and j.userName in :users");
            params.put("users", q.users());
        }
        if (!q.accounts().isEmpty()) {
            hql.append(" and j.account in :accounts");
            params.put("accounts", q.accounts());
        }
        if (!q.partitions().isEmpty()) {
            hql.append(" and j.partitionName in :partitions");
            params.put("partitions", q.partitions());
        }
        if (!q.states().isEmpty()) {
            // A job with no state event yet is pending as far as anyone can tell.
            hql.append(" and coalesce(j.state, 'PENDING') in :states");
            params.put("states", q.states());
        }
        hql.append(" and j.submitTime <= :end");
        params.put("end", q.end());
        if (q.start() != null) {
            hql.append(" and (j.endTime is null or j.endTime >= :start)");
            params.put("start", q.start());
        }
        hql.append(" order by j.jobId");

        return sessions.withSession(s -> {
            timing.mark("session");
            var query = s.createSelectionQuery(hql.toString(), JobRow.class);
            params.forEach(query::setParameter);
            return query.getResultList().chain(jobs -> {
                timing.mark("jobs");
                if (jobs.isEmpty()) {
                    return Uni.createFrom().item(List.<SacctRecord>of());
                }
                List<Long> ids = jobs.stream().map(j -> j.jobId).toList();
                return s.createSelectionQuery("from StepRow s where s.jobId in :ids", StepRow.class)
                        .setParameter("ids", ids)
                        .getResultList()
                        .map(steps -> {
                            timing.mark("steps");
                            List<SacctRecord> out = assemble(jobs, steps, now, billing);
                            timing.mark("build");
                            return out;
                        });
            });
        });
    }

    private static List<SacctRecord> assemble(List<JobRow> jobs, List<StepRow> steps, Instant now,
                                              BillingConfig billing) {
        Map<Long, List<StepRow>> byJob = new HashMap<>();
        for (StepRow s : steps) {
            byJob.computeIfAbsent(s.jobId, k -> new ArrayList<>()).add(s);
        }
        List<SacctRecord> out = new ArrayList<>(jobs.size());
        for (JobRow j : jobs) {
            out.add(SacctReport.record(j, byJob.getOrDefault(j.jobId, List.of()), now,
                    billing.forPartition(j.partitionName)));
        }
        return out;
    }
}
