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
            case JobSubmitted e -> run(db, UPSERT_SUBMITTED, tuple(submitted(e)));
            case JobStateChanged e -> run(db, UPSERT_STATE, tuple(stateChanged(e)));
            case AllocationGranted e -> run(db, UPSERT_ALLOCATION, tuple(allocation(e)));
            case StepStarted e -> run(db, UPSERT_STEP_STARTED,
                    tuple(e.jobId(), e.stepId(), e.node(), e.pid(), ts(e.time())));
            case StepFinished e -> run(db, UPSERT_STEP_FINISHED, tuple(stepFinished(e)));
            // A cancel request changes nothing by itself: the scheduler's CANCELLED state event records it.
            case JobCancelRequested ignored -> Uni.createFrom().voidItem();
            default -> Uni.createFrom().voidItem();
        };
    }

    /** The batch form of each upsert: the same statement fed by {@code unnest} of one array per column. */
    private record Kind(String sql, String multiSql, List<String> types) {
        static Kind of(String sql, String... types) {
            StringBuilder sel = new StringBuilder("SELECT * FROM unnest(");
            for (int i = 0; i < types.length; i++) {
                sel.append(i == 0 ? "" : ", ").append('$').append(i + 1).append("::").append(types[i]).append("[]");
            }
            sel.append(")");
            int v = sql.indexOf("VALUES (");
            int close = sql.indexOf(')', v);
            return new Kind(sql, sql.substring(0, v) + sel + sql.substring(close + 1), List.of(types));
        }
    }

    private static final Kind SUBMITTED = Kind.of(UPSERT_SUBMITTED, "bigint", "text", "text", "integer", "integer",
            "text", "text", "text", "timestamptz", "integer", "bigint", "integer", "integer", "integer", "text", "text",
            "text", "text");
    private static final Kind STATE = Kind.of(UPSERT_STATE, "bigint", "bigint", "text", "text", "text",
            "timestamptz", "timestamptz", "timestamptz", "integer", "integer", "text");
    private static final Kind ALLOCATION = Kind.of(UPSERT_ALLOCATION, "bigint", "timestamptz", "integer", "bigint",
            "integer", "integer", "text");
    private static final Kind STEP_STARTED = Kind.of(UPSERT_STEP_STARTED, "bigint", "text", "text", "bigint",
            "timestamptz");
    private static final Kind STEP_FINISHED = Kind.of(UPSERT_STEP_FINISHED, "bigint", "text", "text", "timestamptz",
            "text", "integer", "integer", "bigint", "bigint", "bigint", "text");

    /**
     * Applies a polled batch with one multi-row statement ({@code INSERT ... SELECT FROM unnest(arrays) ON
     * CONFLICT}) per statement kind and round instead of a statement per event. Regrouping is safe because each
     * kind writes its own columns (submit, state, allocation, step start, step end) and is order-independent
     * against the others. {@code ON CONFLICT DO UPDATE} may not touch a row twice in one statement, and the
     * version guards must see each event applied after the previous one for the same key, so the n-th event for a
     * key goes into round n: within a kind and key, events are applied one statement after the other in their
     * order, exactly as one statement per event would.
     */
    public Uni<Void> applyAll(SqlClient db, List<Event> events) {
        java.util.Map<Kind, List<List<Object[]>>> rounds = new java.util.LinkedHashMap<>();
        java.util.Map<Kind, java.util.Map<Object, Integer>> seen = new java.util.HashMap<>();
        for (Kind k : List.of(SUBMITTED, STATE, ALLOCATION, STEP_STARTED, STEP_FINISHED)) {
            rounds.put(k, new ArrayList<>());
            seen.put(k, new java.util.HashMap<>());
        }
        for (Event event : events) {
            Kind kind;
            Object key;
            Object[] row;
            switch (event) {
                case JobSubmitted e -> { kind = SUBMITTED; key = e.jobId(); row = submitted(e); }
                case JobStateChanged e -> { kind = STATE; key = e.jobId(); row = stateChanged(e); }
                case AllocationGranted e -> { kind = ALLOCATION; key = e.jobId(); row = allocation(e); }
                case StepStarted e -> {
                    kind = STEP_STARTED;
                    key = List.of(e.jobId(), e.stepId(), e.node());
                    row = new Object[] {e.jobId(), e.stepId(), e.node(), e.pid(), ts(e.time())};
                }
                case StepFinished e -> {
                    kind = STEP_FINISHED;
                    key = List.of(e.jobId(), e.stepId(), e.node());
                    row = stepFinished(e);
                }
                default -> {
                    continue;
                }
            }
            int round = seen.get(kind).merge(key, 1, Integer::sum) - 1;
            List<List<Object[]>> r = rounds.get(kind);
            if (r.size() == round) {
                r.add(new ArrayList<>());
            }
            r.get(round).add(row);
        }
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (var entry : rounds.entrySet()) {
            Kind kind = entry.getKey();
            for (List<Object[]> rows : entry.getValue()) {
                Tuple columns = columns(kind, rows);
                chain = chain.chain(() -> db.preparedQuery(kind.multiSql()).execute(columns).replaceWithVoid());
            }
        }
        return chain;
    }

    /** One typed array per column, as the PostgreSQL client binds {@code $n::type[]}. */
    private static Tuple columns(Kind kind, List<Object[]> rows) {
        List<Object> arrays = new ArrayList<>(kind.types().size());
        int n = rows.size();
        for (int c = 0; c < kind.types().size(); c++) {
            Object[] a = switch (kind.types().get(c)) {
                case "bigint" -> new Long[n];
                case "integer" -> new Integer[n];
                case "timestamptz" -> new OffsetDateTime[n];
                default -> new String[n];
            };
            for (int i = 0; i < n; i++) {
                Object v = rows.get(i)[c];
                a[i] = v == null ? null : switch (a) {
                    case Long[] ignored -> ((Number) v).longValue();
                    case Integer[] ignored -> ((Number) v).intValue();
                    default -> v;
                };
            }
            arrays.add(a);
        }
        return Tuple.from(arrays);
    }

    private static Uni<Void> run(SqlClient db, String sql, Tuple args) {
        return db.preparedQuery(sql).execute(args).replaceWithVoid();
    }

    private static Object[] submitted(JobSubmitted e) {
        var spec = e.spec();
        RequestedResources req = RequestedResources.of(spec.resources());
        return row(e.jobId(), spec.name(), e.owner().user(), e.owner().uid(), e.owner().gid(), spec.account(),
                spec.partition(), spec.qos(), ts(e.submitTime()), req.cpus(), req.memMb(), req.nodes(), req.gpus(),
                spec.timeLimitMinutes(), spec.workDir(), spec.stdout(), spec.stderr(),
                RequestedResources.gpuType(spec.resources() == null ? null : spec.resources().gres()));
    }

    private static Object[] stateChanged(JobStateChanged e) {
        JobState s = e.state();
        return row(e.jobId(), e.version(), s.name(), e.reason(), e.detail(),
                s == JobState.PENDING ? ts(e.time()) : null,
                s == JobState.RUNNING ? ts(e.time()) : null,
                s.isTerminal() ? ts(e.time()) : null,
                e.exitCode(), e.signal(), e.nodes());
    }

    private static Object[] allocation(AllocationGranted e) {
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
        return row(e.jobId(), ts(e.time()), cpus, mem, e.nodes().size(), gpus, Hostlist.compress(names));
    }

    private static Object[] stepFinished(StepFinished e) {
        Usage u = e.usage() == null ? Usage.NONE : e.usage();
        return row(e.jobId(), e.stepId(), e.node(), ts(e.time()), e.state().name(), e.exitCode(), e.signal(),
                u.cpuUserMs(), u.cpuSystemMs(), u.maxRssKb(), e.detail());
    }

    private static OffsetDateTime ts(Instant i) {
        return i == null ? null : i.atOffset(ZoneOffset.UTC);
    }

    private static Object[] row(Object... values) {
        return values;
    }

    private static Tuple tuple(Object... values) {
        return Tuple.from(Arrays.asList(values));
    }
}
