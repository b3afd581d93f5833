package dev.sluice.accounting.history;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobCancelRequested;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.contracts.step.Usage;
import dev.sluice.scheduler.core.config.Hostlist;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns job and step events into rows. Every statement is an upsert keyed by ids, and state columns only move
 * forward in version, so reading the same records again (a replay, a rebalance, a crash before the offset commit)
 * or reading them out of order leaves every row as it was. The statements go through the reactive PostgreSQL
 * client because {@code INSERT ... ON CONFLICT ... CASE WHEN newer} has no JPA form.
 */
@ApplicationScoped
public class JobHistoryWriter {

    private static final String UPSERT_SUBMITTED = """
            INSERT INTO jobs (job_id, job_name, user_name, uid, gid, account, partition_name, qos, submit_time,
                              req_cpus, req_mem_mb, req_nodes, req_gpus, time_limit_minutes, work_dir, std_out, std_err,
                              gpu_type)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            ON CONFLICT (job_id) DO UPDATE SET
                job_name = EXCLUDED.job_name, user_name = EXCLUDED.user_name, uid = EXCLUDED.uid, gid = EXCLUDED.gid,
                account = EXCLUDED.account, partition_name = EXCLUDED.partition_name, qos = EXCLUDED.qos,
                submit_time = EXCLUDED.submit_time, req_cpus = EXCLUDED.req_cpus, req_mem_mb = EXCLUDED.req_mem_mb,
                req_nodes = EXCLUDED.req_nodes, req_gpus = EXCLUDED.req_gpus,
                time_limit_minutes = EXCLUDED.time_limit_minutes, work_dir = EXCLUDED.work_dir,
                std_out = EXCLUDED.std_out, std_err = EXCLUDED.std_err, gpu_type = EXCLUDED.gpu_type
            """;

    // "newer" is decided against the row as it was before this statement: Postgres evaluates every SET
    // expression on the old row, so the version and the columns it guards stay consistent. Start and eligible
    // times are facts about the first RUNNING/PENDING and are kept whatever order their events arrive in.
    private static final String UPSERT_STATE = """
            INSERT INTO jobs AS j (job_id, state_version, state, reason, state_detail, eligible_time, start_time,
                                   end_time, exit_code, exit_signal, node_list)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (job_id) DO UPDATE SET
                state_version = GREATEST(j.state_version, EXCLUDED.state_version),
                state = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                             THEN EXCLUDED.state ELSE j.state END,
                reason = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                              THEN EXCLUDED.reason ELSE j.reason END,
                state_detail = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                    THEN EXCLUDED.state_detail ELSE j.state_detail END,
                end_time = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                THEN EXCLUDED.end_time ELSE j.end_time END,
                exit_code = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                 THEN EXCLUDED.exit_code ELSE j.exit_code END,
                exit_signal = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                   THEN EXCLUDED.exit_signal ELSE j.exit_signal END,
                node_list = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                 THEN COALESCE(EXCLUDED.node_list, j.node_list) ELSE j.node_list END,
                eligible_time = LEAST(j.eligible_time, EXCLUDED.eligible_time),
                start_time = LEAST(j.start_time, EXCLUDED.start_time)
            """;

    // A requeued job gets a new grant; the latest one describes what the job holds (or last held).
    private static final String UPSERT_ALLOCATION = """
            INSERT INTO jobs AS j (job_id, alloc_time, alloc_cpus, alloc_mem_mb, alloc_nodes, alloc_gpus,
                                   alloc_node_names)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (job_id) DO UPDATE SET
                alloc_time = EXCLUDED.alloc_time, alloc_cpus = EXCLUDED.alloc_cpus,
                alloc_mem_mb = EXCLUDED.alloc_mem_mb, alloc_nodes = EXCLUDED.alloc_nodes,
                alloc_gpus = EXCLUDED.alloc_gpus, alloc_node_names = EXCLUDED.alloc_node_names
            WHERE j.alloc_time IS NULL OR EXCLUDED.alloc_time >= j.alloc_time
            """;

    private static final String UPSERT_STEP_STARTED = """
            INSERT INTO job_steps (job_id, step_id, node, pid, start_time)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (job_id, step_id, node) DO UPDATE SET pid = EXCLUDED.pid, start_time = EXCLUDED.start_time
            """;

    private static final String UPSERT_STEP_FINISHED = """
            INSERT INTO job_steps (job_id, step_id, node, end_time, state, exit_code, exit_signal,
                                   cpu_user_ms, cpu_system_ms, max_rss_kb, detail)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (job_id, step_id, node) DO UPDATE SET
                end_time = EXCLUDED.end_time, state = EXCLUDED.state, exit_code = EXCLUDED.exit_code,
                exit_signal = EXCLUDED.exit_signal, cpu_user_ms = EXCLUDED.cpu_user_ms,
                cpu_system_ms = EXCLUDED.cpu_system_ms, max_rss_kb = EXCLUDED.max_rss_kb, detail = EXCLUDED.detail
            """;

    /** Applies one event inside the caller's transaction; events accounting does not record complete at once. */
    public Uni<Void> apply(SqlClient db, Event event) {
        return switch (event) {
            case JobSubmitted e -> run(db, UPSERT_SUBMITTED, submitted(e));
            case JobStateChanged e -> run(db, UPSERT_STATE, stateChanged(e));
            case AllocationGranted e -> run(db, UPSERT_ALLOCATION, allocation(e));
            case StepStarted e -> run(db, UPSERT_STEP_STARTED,
                    tuple(e.jobId(), e.stepId(), e.node(), e.pid(), ts(e.time())));
            case StepFinished e -> run(db, UPSERT_STEP_FINISHED, stepFinished(e));
            // A cancel request changes nothing by itself: the scheduler's CANCELLED state event records it.
            case JobCancelRequested ignored -> Uni.createFrom().voidItem();
            default -> Uni.createFrom().voidItem();
        };
    }

    /**
     * Applies a polled batch with one pipelined {@code executeBatch} per statement kind instead of a round trip per
     * event. Regrouping is safe because each kind writes its own columns (submit, state, allocation, step start,
     * step end) and is order-independent against the others; within a kind the events keep their order.
     */
    public Uni<Void> applyAll(SqlClient db, List<Event> events) {
        java.util.Map<String, List<Tuple>> bySql = new java.util.LinkedHashMap<>();
        for (String sql : List.of(UPSERT_SUBMITTED, UPSERT_STATE, UPSERT_ALLOCATION, UPSERT_STEP_STARTED,
                UPSERT_STEP_FINISHED)) {
            bySql.put(sql, new ArrayList<>());
        }
        for (Event event : events) {
            switch (event) {
                case JobSubmitted e -> bySql.get(UPSERT_SUBMITTED).add(submitted(e));
                case JobStateChanged e -> bySql.get(UPSERT_STATE).add(stateChanged(e));
                case AllocationGranted e -> bySql.get(UPSERT_ALLOCATION).add(allocation(e));
                case StepStarted e -> bySql.get(UPSERT_STEP_STARTED)
                        .add(tuple(e.jobId(), e.stepId(), e.node(), e.pid(), ts(e.time())));
                case StepFinished e -> bySql.get(UPSERT_STEP_FINISHED).add(stepFinished(e));
                default -> {
                }
            }
        }
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (var entry : bySql.entrySet()) {
            if (entry.getValue().isEmpty()) {
                continue;
            }
            chain = chain.chain(() -> db.preparedQuery(entry.getKey()).executeBatch(entry.getValue())
                    .replaceWithVoid());
        }
        return chain;
    }

    private static Uni<Void> run(SqlClient db, String sql, Tuple args) {
        return db.preparedQuery(sql).execute(args).replaceWithVoid();
    }

    private static Tuple submitted(JobSubmitted e) {
        var spec = e.spec();
        RequestedResources req = RequestedResources.of(spec.resources());
        return tuple(e.jobId(), spec.name(), e.owner().user(), e.owner().uid(), e.owner().gid(), spec.account(),
                spec.partition(), spec.qos(), ts(e.submitTime()), req.cpus(), req.memMb(), req.nodes(), req.gpus(),
                spec.timeLimitMinutes(), spec.workDir(), spec.stdout(), spec.stderr(),
                RequestedResources.gpuType(spec.resources() == null ? null : spec.resources().gres()));
    }

    private static Tuple stateChanged(JobStateChanged e) {
        JobState s = e.state();
        return tuple(e.jobId(), e.version(), s.name(), e.reason(), e.detail(),
                s == JobState.PENDING ? ts(e.time()) : null,
                s == JobState.RUNNING ? ts(e.time()) : null,
                s.isTerminal() ? ts(e.time()) : null,
                e.exitCode(), e.signal(), e.nodes());
    }

    private static Tuple allocation(AllocationGranted e) {
        int cpus = 0;
        long mem = 0;
        int gpus = 0;
        List<String> names = new ArrayList<>();
        for (NodeAllocation n : e.nodes()) {
            cpus += n.cpuIds() == null ? n.tasks() : n.cpus();
            mem += n.memMb();
            gpus += n.gpus() == null ? 0 : n.gpus().size();
            names.add(n.node());
        }
        return tuple(e.jobId(), ts(e.time()), cpus, mem, e.nodes().size(), gpus, Hostlist.compress(names));
    }

    private static Tuple stepFinished(StepFinished e) {
        Usage u = e.usage() == null ? Usage.NONE : e.usage();
        return tuple(e.jobId(), e.stepId(), e.node(), ts(e.time()), e.state().name(), e.exitCode(), e.signal(),
                u.cpuUserMs(), u.cpuSystemMs(), u.maxRssKb(), e.detail());
    }

    private static OffsetDateTime ts(Instant i) {
        return i == null ? null : i.atOffset(ZoneOffset.UTC);
    }

    private static Tuple tuple(Object... values) {
        return Tuple.from(Arrays.asList(values));
    }
}
