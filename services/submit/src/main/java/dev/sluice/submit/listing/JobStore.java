package dev.sluice.submit.listing;

import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Resources;
import dev.sluice.scheduler.core.ArraySpec;
import dev.sluice.scheduler.core.config.Hostlist;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The jobs read model in submit's database. Every write is an idempotent upsert: a job's spec may arrive from the
 * REST call and again from Kafka, state changes only move to a version at least as high as the stored one, so
 * replays and reordering leave the table as it was. Calls block: use them from workers or the consumer thread.
 */
@ApplicationScoped
public class JobStore {
    private final Pool pool;

    public JobStore(Pool pool) {
        this.pool = pool;
    }

    public long nextJobId() {
        return query("SELECT nextval('job_id_seq')", Tuple.tuple()).iterator().next().getLong(0);
    }

    /** The id of this database's read model, which names the Kafka consumer group that feeds it. */
    public String readModelId() {
        return query("SELECT id FROM read_model", Tuple.tuple()).iterator().next().getString(0);
    }

    public void recordSubmitted(JobSubmitted s) {
        Resources r = s.spec().resources();
        int ntasks = r.ntasksOrDefault();
        int cpus = r.cpusPerTaskOrDefault();
        int numNodes = r.nodesMin() == null ? 1 : r.nodesMin();
        if (r.ntasks() == null && r.ntasksPerNode() != null) {
            ntasks = r.ntasksPerNode() * numNodes;
        }
        Long mem = r.memPerNodeMb() != null ? r.memPerNodeMb()
                : r.memPerCpuMb() != null ? r.memPerCpuMb() * (long) ntasks * cpus : null;
        query("""
                INSERT INTO jobs (job_id, name, user_name, uid, gid, partition, account, qos, submit_time,
                                  time_limit_minutes, num_nodes, num_cpus, ntasks, cpus_per_task, mem_mb,
                                  work_dir, stdout, stderr)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                ON CONFLICT (job_id) DO UPDATE SET
                    name = EXCLUDED.name, user_name = EXCLUDED.user_name, uid = EXCLUDED.uid, gid = EXCLUDED.gid,
                    partition = EXCLUDED.partition, account = EXCLUDED.account, qos = EXCLUDED.qos,
                    submit_time = EXCLUDED.submit_time, time_limit_minutes = EXCLUDED.time_limit_minutes,
                    num_nodes = CASE WHEN jobs.nodes IS NULL THEN EXCLUDED.num_nodes ELSE jobs.num_nodes END,
                    num_cpus = CASE WHEN jobs.nodes IS NULL THEN EXCLUDED.num_cpus ELSE jobs.num_cpus END,
                    ntasks = EXCLUDED.ntasks, cpus_per_task = EXCLUDED.cpus_per_task, mem_mb = EXCLUDED.mem_mb,
                    work_dir = EXCLUDED.work_dir, stdout = EXCLUDED.stdout, stderr = EXCLUDED.stderr
                """, Tuple.from(Arrays.asList(s.jobId(), s.spec().name(), s.owner().user(), s.owner().uid(),
                s.owner().gid(), s.spec().partition(), s.spec().account(), s.spec().qos(), time(s.submitTime()),
                s.spec().timeLimitMinutes(), numNodes, ntasks * cpus, ntasks, cpus, mem, s.spec().workDir(),
                s.spec().stdout(), s.spec().stderr())));
        if (s.spec().array() != null) {
            recordArray(s.jobId(), ArraySpec.parse(s.spec().array()).format());
        }
    }

    /**
     * The array's own row starts as its whole pending remainder (squeue's {@code 42_[0-9%2]}) until the scheduler
     * says otherwise; rows of its tasks that arrived first (a rebuild from Kafka) get the array's spec.
     */
    private void recordArray(long arrayJobId, String tasks) {
        query("""
                UPDATE jobs SET array_job_id = $1, array_tasks = $2
                WHERE job_id = $1 AND version = 0
                """, Tuple.of(arrayJobId, tasks));
        query(COPY_ARRAY_SPEC + " AND t.array_job_id = $1", Tuple.of(arrayJobId));
    }

    /** What an array task's row takes from its array's submission. */
    private static final String COPY_ARRAY_SPEC = """
            UPDATE jobs t SET name = a.name, user_name = a.user_name, uid = a.uid, gid = a.gid,
                partition = COALESCE(t.partition, a.partition), account = a.account, qos = a.qos,
                submit_time = a.submit_time, time_limit_minutes = a.time_limit_minutes,
                ntasks = a.ntasks, cpus_per_task = a.cpus_per_task, mem_mb = a.mem_mb,
                num_cpus = COALESCE(t.num_cpus, a.num_cpus), num_nodes = COALESCE(t.num_nodes, a.num_nodes),
                work_dir = a.work_dir, stdout = a.stdout, stderr = a.stderr
            FROM jobs a
            WHERE a.job_id = $1 AND t.job_id <> a.job_id AND t.user_name IS NULL AND a.user_name IS NOT NULL
            """;

    /** Applies a state change unless a newer version of the job is already stored. */
    public void applyStateChange(JobStateChanged e) {
        boolean terminal = e.state().isTerminal();
        boolean waiting = e.state() == JobState.PENDING || e.state() == JobState.REQUEUED;
        Integer numNodes = e.nodes() == null || e.nodes().isBlank() ? null : Hostlist.expand(e.nodes()).size();
        query("""
                INSERT INTO jobs (job_id, version, state, reason, start_time, end_time, nodes, num_nodes,
                                  exit_code, signal)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (job_id) DO UPDATE SET
                    version = EXCLUDED.version, state = EXCLUDED.state, reason = EXCLUDED.reason,
                    start_time = CASE WHEN $11 THEN NULL ELSE COALESCE(jobs.start_time, EXCLUDED.start_time) END,
                    end_time = EXCLUDED.end_time,
                    nodes = CASE WHEN $11 THEN NULL ELSE COALESCE(EXCLUDED.nodes, jobs.nodes) END,
                    num_nodes = COALESCE(EXCLUDED.num_nodes, jobs.num_nodes),
                    exit_code = EXCLUDED.exit_code, signal = EXCLUDED.signal
                WHERE jobs.version <= EXCLUDED.version
                """, Tuple.from(Arrays.asList(e.jobId(), e.version(), e.state().name(),
                e.reason() == null ? "None" : e.reason(),
                waiting ? null : time(e.time()), terminal ? time(e.time()) : null,
                e.nodes(), numNodes, e.exitCode(), e.signal(), waiting)));
        if (e.arrayJobId() != null) {
            // A task, or the remainder that moved to its lowest pending task's id: it is what the newest event says.
            query("""
                    UPDATE jobs SET array_job_id = $2, array_task_id = $3, array_tasks = $4
                    WHERE job_id = $1 AND version = $5
                    """, Tuple.from(Arrays.asList(e.jobId(), e.arrayJobId(), e.arrayTaskId(), e.arrayTasks(),
                    e.version())));
            query(COPY_ARRAY_SPEC + " AND t.job_id = $2", Tuple.of(e.arrayJobId(), e.jobId()));
        }
    }

    /** Whether any task of array {@code arrayJobId} (or its pending remainder) is still live: scancel 42 applies. */
    public boolean arrayLive(long arrayJobId) {
        return query("""
                SELECT 1 FROM jobs WHERE array_job_id = $1
                  AND state NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY',
                                    'PREEMPTED', 'BOOT_FAIL', 'DEADLINE')
                LIMIT 1
                """, Tuple.of(arrayJobId)).size() > 0;
    }

    public void applyAllocation(AllocationGranted a) {
        List<String> names = a.nodes().stream().map(NodeAllocation::node).toList();
        int cpus = a.nodes().stream().mapToInt(NodeAllocation::cpus).sum();
        query("""
                INSERT INTO jobs (job_id, nodes, num_nodes, num_cpus) VALUES ($1, $2, $3, $4)
                ON CONFLICT (job_id) DO UPDATE SET
                    nodes = EXCLUDED.nodes, num_nodes = EXCLUDED.num_nodes, num_cpus = EXCLUDED.num_cpus
                """, Tuple.of(a.jobId(), Hostlist.compress(names), names.size(), cpus));
    }

    public Optional<JobView> find(long jobId) {
        RowSet<Row> rows = query("SELECT * FROM jobs WHERE job_id = $1", Tuple.of(jobId));
        return rows.size() == 0 ? Optional.empty() : Optional.of(view(rows.iterator().next()));
    }

    /** Jobs matching every given filter (null = any), sorted by id. */
    public List<JobView> list(List<String> users, List<String> states, List<String> partitions, List<Long> jobIds) {
        RowSet<Row> rows = query("""
                SELECT * FROM jobs
                WHERE ($1::text[] IS NULL OR user_name = ANY($1))
                  AND ($2::text[] IS NULL OR state = ANY($2))
                  AND ($3::text[] IS NULL OR partition = ANY($3))
                  AND ($4::bigint[] IS NULL OR job_id = ANY($4) OR array_job_id = ANY($4))
                ORDER BY job_id
                """, Tuple.from(Arrays.asList(users == null ? null : users.toArray(String[]::new),
                states == null ? null : states.toArray(String[]::new),
                partitions == null ? null : partitions.toArray(String[]::new),
                jobIds == null ? null : jobIds.toArray(Long[]::new))));
        List<JobView> out = new ArrayList<>();
        rows.forEach(r -> out.add(view(r)));
        return out;
    }

    private RowSet<Row> query(String sql, Tuple args) {
        return pool.preparedQuery(sql).execute(args).await().indefinitely();
    }

    private static OffsetDateTime time(Instant i) {
        return i == null ? null : i.atOffset(ZoneOffset.UTC);
    }

    private static String iso(Row r, String column) {
        OffsetDateTime t = r.getOffsetDateTime(column);
        return t == null ? null : t.toInstant().toString();
    }

    private static JobView view(Row r) {
        String state = r.getString("state");
        return new JobView(r.getLong("job_id"), r.getString("name"), r.getString("user_name"),
                r.getInteger("uid"), r.getInteger("gid"), r.getString("partition"), r.getString("account"),
                r.getString("qos"), state, JobState.parse(state).shortName(), r.getString("reason"),
                iso(r, "submit_time"), iso(r, "start_time"), iso(r, "end_time"), r.getInteger("time_limit_minutes"),
                r.getString("nodes"), r.getInteger("num_nodes"), r.getInteger("num_cpus"), r.getInteger("ntasks"),
                r.getInteger("cpus_per_task"), r.getLong("mem_mb"), r.getInteger("exit_code"),
                r.getInteger("signal"), r.getString("work_dir"), r.getString("stdout"), r.getString("stderr"),
                r.getLong("array_job_id"), r.getInteger("array_task_id"), r.getString("array_tasks"));
    }
}
