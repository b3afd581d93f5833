package dev.sluice.accounting.sacct;

import dev.sluice.accounting.billing.BillingConfig;
import dev.sluice.accounting.history.JobRow;
import dev.sluice.accounting.history.StepRow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;

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
    DataSource dataSource;
    @Inject
    BillingConfig billing;

    public List<SacctRecord> find(SacctQuery q, Instant now) {
        return find(q, now, new SacctTiming(System.nanoTime()));
    }

    /**
     * As {@link #find(SacctQuery, Instant)}, marking {@code session}, {@code jobs}, {@code steps}, {@code build}.
     * Blocking (plain JDBC): call it from a worker thread.
     */
    public List<SacctRecord> find(SacctQuery q, Instant now, SacctTiming timing) {
        StringBuilder sql = new StringBuilder("select ").append(JdbcRows.columns(JobRow.class, "j"))
                .append(" from jobs j where j.submit_time is not null");
        List<Object> params = new ArrayList<>();
        if (!q.jobs().isEmpty()) {
            // sacct -j 42 of an array: every task of it, as Slurm lists them
            sql.append(" and (j.job_id = any(?) or j.array_job_id = any(?))");
            params.add(q.jobs().toArray(Long[]::new));
            params.add(q.jobs().toArray(Long[]::new));
        }
        if (!q.users().isEmpty()) {
            sql.append(" and j.user_name = any(?)");
            params.add(q.users().toArray(String[]::new));
        }
        if (!q.accounts().isEmpty()) {
            sql.append(" and j.account = any(?)");
            params.add(q.accounts().toArray(String[]::new));
        }
        if (!q.partitions().isEmpty()) {
            sql.append(" and j.partition_name = any(?)");
            params.add(q.partitions().toArray(String[]::new));
        }
        if (!q.states().isEmpty()) {
            // A job with no state event yet is pending as far as anyone can tell.
            sql.append(" and coalesce(j.state, 'PENDING') = any(?)");
            params.add(q.states().toArray(String[]::new));
        }
        sql.append(" and j.submit_time <= ?");
        params.add(Timestamp.from(q.end()));
        if (q.start() != null) {
            sql.append(" and (j.end_time is null or j.end_time >= ?)");
            params.add(Timestamp.from(q.start()));
        }
        sql.append(" order by j.job_id");

        try (Connection c = dataSource.getConnection()) {
            timing.mark("session");
            List<JobRow> jobs;
            try (PreparedStatement st = c.prepareStatement(sql.toString())) {
                bind(c, st, params);
                try (ResultSet rs = st.executeQuery()) {
                    jobs = JdbcRows.read(rs, JobRow.class);
                }
            }
            timing.mark("jobs");
            if (jobs.isEmpty()) {
                return List.of();
            }
            List<StepRow> steps;
            try (PreparedStatement st = c.prepareStatement("select " + JdbcRows.columns(StepRow.class, "s")
                    + " from job_steps s where s.job_id = any(?)")) {
                st.setArray(1, c.createArrayOf("bigint", jobs.stream().map(j -> j.jobId).toArray(Long[]::new)));
                try (ResultSet rs = st.executeQuery()) {
                    steps = JdbcRows.read(rs, StepRow.class);
                }
            }
            timing.mark("steps");
            List<SacctRecord> out = assemble(jobs, steps, now, billing);
            timing.mark("build");
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("sacct query failed: " + e.getMessage(), e);
        }
    }

    private static void bind(Connection c, PreparedStatement st, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object p = params.get(i);
            switch (p) {
                case Long[] ids -> st.setArray(i + 1, c.createArrayOf("bigint", ids));
                case String[] names -> st.setArray(i + 1, c.createArrayOf("text", names));
                default -> st.setObject(i + 1, p);
            }
        }
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
