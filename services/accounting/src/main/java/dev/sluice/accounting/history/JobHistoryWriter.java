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
    @jakarta.inject.Inject
    dev.sluice.accounting.billing.BillingConfig billing;
    private volatile GpuTypes gpuTypes;

    private GpuTypes gpuTypes() {
        GpuTypes t = gpuTypes;
        if (t == null) {
            t = new GpuTypes(billing.cluster());
            gpuTypes = t;
        }
        return t;
    }

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
                                   end_time, exit_code, exit_signal, node_list, array_job_id, array_task_id,
                                   array_tasks)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (job_id) DO UPDATE SET
                state_version = GREATEST(j.state_version, EXCLUDED.state_version),
                array_job_id = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                    THEN EXCLUDED.array_job_id ELSE j.array_job_id END,
                array_task_id = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                     THEN EXCLUDED.array_task_id ELSE j.array_task_id END,
                array_tasks = CASE WHEN j.state_version IS NULL OR EXCLUDED.state_version > j.state_version
                                   THEN EXCLUDED.array_tasks ELSE j.array_tasks END,
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
                                   alloc_node_names, alloc_gpu_type)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (job_id) DO UPDATE SET
                alloc_time = EXCLUDED.alloc_time, alloc_cpus = EXCLUDED.alloc_cpus,
                alloc_mem_mb = EXCLUDED.alloc_mem_mb, alloc_nodes = EXCLUDED.alloc_nodes,
                alloc_gpus = EXCLUDED.alloc_gpus, alloc_node_names = EXCLUDED.alloc_node_names,
                alloc_gpu_type = EXCLUDED.alloc_gpu_type
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
            "timestamptz", "timestamptz", "timestamptz", "integer", "integer", "text", "bigint", "integer", "text");
    private static final Kind ALLOCATION = Kind.of(UPSERT_ALLOCATION, "bigint", "timestamptz", "integer", "bigint",
            "integer", "integer", "text", "text");
    private static final Kind STEP_STARTED = Kind.of(UPSERT_STEP_STARTED, "bigint", "text", "text", "bigint",
            "timestamptz");
    private static final Kind STEP_FINISHED = Kind.of(UPSERT_STEP_FINISHED, "bigint", "text", "text", "timestamptz",
            "text", "integer", "integer", "bigint", "bigint", "bigint", "text");

    /** The column names of an upsert's {@code INSERT INTO jobs (...)} list. */
    private static List<String> insertColumns(String sql) {
        int open = sql.indexOf('(');
        return Arrays.stream(sql.substring(open + 1, sql.indexOf(')', open)).split(","))
                .map(String::trim).toList();
    }

    private static final List<String> SUBMIT_COLUMNS = insertColumns(UPSERT_SUBMITTED);
    private static final List<String> STATE_COLUMNS = insertColumns(UPSERT_STATE).subList(1,
            insertColumns(UPSERT_STATE).size());
    private static final List<String> ALLOC_COLUMNS = insertColumns(UPSERT_ALLOCATION).subList(1,
            insertColumns(UPSERT_ALLOCATION).size());
    /** A state event in this row, and newer than the stored one: the guard of {@code UPSERT_STATE}. */
    private static final String STATE_NEWER = "EXCLUDED.state_version IS NOT NULL AND (j.state_version IS NULL "
            + "OR EXCLUDED.state_version > j.state_version)";
    private static final String ALLOC_NEWER = "EXCLUDED.alloc_time IS NOT NULL AND (j.alloc_time IS NULL "
            + "OR EXCLUDED.alloc_time >= j.alloc_time)";

    /**
     * A job's submission, state and allocation in one row: each part is written only when the row carries it
     * ({@code submit_time}, {@code state_version}, {@code alloc_time} not null) and under the same guards as its own
     * upsert, so one statement does what up to five did, and each job row gets one new version per batch instead of
     * one per event (each with an entry in every index of {@code jobs}).
     */
    private static final Kind JOB = merged();

    private static Kind merged() {
        List<String> cols = new ArrayList<>(SUBMIT_COLUMNS);
        cols.addAll(STATE_COLUMNS);
        cols.addAll(ALLOC_COLUMNS);
        List<String> types = new ArrayList<>(SUBMITTED.types());
        types.addAll(STATE.types().subList(1, STATE.types().size()));
        types.addAll(ALLOCATION.types().subList(1, ALLOCATION.types().size()));
        StringBuilder sql = new StringBuilder("INSERT INTO jobs AS j (").append(String.join(", ", cols))
                .append(") VALUES (x) ON CONFLICT (job_id) DO UPDATE SET ");
        List<String> sets = new ArrayList<>();
        for (String c : SUBMIT_COLUMNS.subList(1, SUBMIT_COLUMNS.size())) {
            sets.add(c + " = CASE WHEN EXCLUDED.submit_time IS NOT NULL THEN EXCLUDED." + c + " ELSE j." + c + " END");
        }
        for (String c : STATE_COLUMNS) {
            sets.add(switch (c) {
                case "state_version" -> "state_version = GREATEST(j.state_version, EXCLUDED.state_version)";
                case "eligible_time" -> "eligible_time = LEAST(j.eligible_time, EXCLUDED.eligible_time)";
                case "start_time" -> "start_time = LEAST(j.start_time, EXCLUDED.start_time)";
                case "node_list" -> "node_list = CASE WHEN " + STATE_NEWER
                        + " THEN COALESCE(EXCLUDED.node_list, j.node_list) ELSE j.node_list END";
                default -> c + " = CASE WHEN " + STATE_NEWER + " THEN EXCLUDED." + c + " ELSE j." + c + " END";
            });
        }
        for (String c : ALLOC_COLUMNS) {
            sets.add(c + " = CASE WHEN " + ALLOC_NEWER + " THEN EXCLUDED." + c + " ELSE j." + c + " END");
        }
        sql.append(String.join(", ", sets));
        return Kind.of(sql.toString(), types.toArray(String[]::new));
    }

    /** What a batch holds for one job, in arrival order. */
    private static final class JobEvents {
        final List<JobSubmitted> submitted = new ArrayList<>();
        final List<JobStateChanged> states = new ArrayList<>();
        final List<AllocationGranted> allocations = new ArrayList<>();
    }

    /**
     * Applies a polled batch. The events of one job (submission, state changes, allocations) are folded into one
     * row of the {@link #JOB} statement, which gives exactly what applying them one after the other would:
     * <ul>
     * <li>submission: each overwrites, so the last one;</li>
     * <li>allocation: each applies if its time is not older, so the last of those with the latest time;</li>
     * <li>state: an event applies only if its version is above every earlier one's, so only the strict running
     * maxima in arrival order can apply, and the last of them (the highest version, first of equals) sets state,
     * reason, end time and exit code if it is newer than the stored row; eligible and start are the earliest
     * PENDING and RUNNING times whatever the versions. The node list is the last applied non-empty one: that is the
     * highest version's when it has one, and the stored one when no running maximum has one; in the remaining case
     * (a requeue to PENDING after RUNNING on a node, in one batch) it depends on the stored version, so that job's
     * state events keep a statement each.</li>
     * </ul>
     * Those, steps, and events with a missing time go through {@link #applyRounds}, one multi-row statement per kind
     * and round. Every statement writes its own columns, so their order does not matter.
     */
    public Uni<Void> applyAll(SqlClient db, List<Event> events) {
        java.util.Map<Long, JobEvents> byJob = new java.util.TreeMap<>();
        List<Event> others = new ArrayList<>();
        for (Event event : events) {
            switch (event) {
                case JobSubmitted e -> byJob.computeIfAbsent(e.jobId(), k -> new JobEvents()).submitted.add(e);
                case JobStateChanged e -> byJob.computeIfAbsent(e.jobId(), k -> new JobEvents()).states.add(e);
                case AllocationGranted e -> byJob.computeIfAbsent(e.jobId(), k -> new JobEvents()).allocations.add(e);
                default -> others.add(event);
            }
        }
        List<Object[]> rows = new ArrayList<>(byJob.size());
        int stateWidth = STATE_COLUMNS.size();
        int allocWidth = ALLOC_COLUMNS.size();
        for (var entry : byJob.entrySet()) {
            long id = entry.getKey();
            JobEvents j = entry.getValue();
            Object[] submit = null;
            if (j.submitted.stream().anyMatch(e -> e.submitTime() == null)) {
                others.addAll(j.submitted);
            } else if (!j.submitted.isEmpty()) {
                submit = submitted(j.submitted.getLast());
            }
            Object[] alloc = null;
            if (j.allocations.stream().anyMatch(e -> e.time() == null)) {
                others.addAll(j.allocations);
            } else if (!j.allocations.isEmpty()) {
                AllocationGranted latest = j.allocations.getFirst();
                for (AllocationGranted a : j.allocations) {
                    if (!a.time().isBefore(latest.time())) {
                        latest = a;
                    }
                }
                alloc = allocation(latest);
            }
            Object[] state = null;
            if (!j.states.isEmpty()) {
                state = foldStates(j.states);
                if (state == null) {
                    others.addAll(j.states);
                }
            }
            if (submit == null && state == null && alloc == null) {
                continue;
            }
            Object[] row = new Object[SUBMIT_COLUMNS.size() + stateWidth + allocWidth];
            row[0] = id;
            if (submit != null) {
                System.arraycopy(submit, 1, row, 1, SUBMIT_COLUMNS.size() - 1);
            }
            if (state != null) {
                System.arraycopy(state, 1, row, SUBMIT_COLUMNS.size(), stateWidth);
            }
            if (alloc != null) {
                System.arraycopy(alloc, 1, row, SUBMIT_COLUMNS.size() + stateWidth, allocWidth);
            }
            rows.add(row);
        }
        Uni<Void> chain = applyRounds(db, others);
        if (!rows.isEmpty()) {
            Tuple columns = columns(JOB, rows);
            chain = chain.chain(() -> db.preparedQuery(JOB.multiSql()).execute(columns).replaceWithVoid());
        }
        return chain;
    }

    /** One job's state events as one {@code UPSERT_STATE} row, or null where that would not be exact. */
    private static Object[] foldStates(List<JobStateChanged> states) {
        JobStateChanged top = null;
        boolean anyNodes = false;
        Instant eligible = null;
        Instant start = null;
        for (JobStateChanged e : states) {
            if (top == null || e.version() > top.version()) {
                top = e;
                anyNodes |= e.nodes() != null;
            }
            if (e.state() == JobState.PENDING && e.time() != null && (eligible == null || e.time().isBefore(eligible))) {
                eligible = e.time();
            }
            if (e.state() == JobState.RUNNING && e.time() != null && (start == null || e.time().isBefore(start))) {
                start = e.time();
            }
        }
        if (top.nodes() == null && anyNodes) {
            return null;
        }
        Object[] row = stateChanged(top);
        row[STATE_COLUMNS.indexOf("eligible_time") + 1] = ts(eligible);
        row[STATE_COLUMNS.indexOf("start_time") + 1] = ts(start);
        return row;
    }

    /**
     * Applies events with one multi-row statement ({@code INSERT ... SELECT FROM unnest(arrays) ON CONFLICT}) per
     * statement kind and round instead of a statement per event. Regrouping is safe because each kind writes its
     * own columns (submit, state, allocation, step start, step end) and is order-independent against the others.
     * {@code ON CONFLICT DO UPDATE} may not touch a row twice in one statement, and the version guards must see each
     * event applied after the previous one for the same key, so the n-th event for a key goes into round n: within
     * a kind and key, events are applied one statement after the other in their order, exactly as one statement per
     * event would.
     */
    Uni<Void> applyRounds(SqlClient db, List<Event> events) {
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
                e.exitCode(), e.signal(), e.nodes(), e.arrayJobId(), e.arrayTaskId(), e.arrayTasks());
    }

    private Object[] allocation(AllocationGranted e) {
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
        return row(e.jobId(), ts(e.time()), cpus, mem, e.nodes().size(), gpus, Hostlist.compress(names),
                gpus == 0 ? null : gpuTypes().of(e.nodes()));
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
