package dev.sluice.accounting.jobcomp;

import dev.sluice.accounting.admin.AdminService;
import dev.sluice.accounting.billing.BillingConfig;
import dev.sluice.accounting.sacct.SacctReport;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.kafka.KafkaSettings;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * One flat JSON object per finished job on {@code sluice.jobcomp}, keyed by job id, with the field names of
 * Slurm's jobcomp/kafka plugin, so consumers written for Slurm's topic read it unchanged. A job goes out once
 * both its submission and its terminal state are recorded; it is marked sent (table {@code jobcomp_sent}) only
 * after the broker acknowledged it, so a crash in between sends it again (same key, same content): consumers keep
 * one per jobid.
 *
 * <p>The history consumer hands over the ids of the jobs it just committed ({@link #submit}) and goes on; one
 * worker thread publishes them. Nothing is lost when the process dies with ids still queued: the history is
 * committed and the marks are not, so the worker's first act at start is to queue every finished, unmarked job.
 * One thread does all the sending, so an id handed over twice is looked up after its first send was marked.
 */
@ApplicationScoped
public class JobcompPublisher {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(JobcompPublisher.class);
    /** Jobs looked up and sent per round: one query, that many sends, one insert of marks. */
    private static final int BATCH = 5000;
    private static final List<String> TERMINAL = List.of("COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL",
            "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE");

    @Inject
    DataSource dataSource;
    @Inject
    BillingConfig billing;
    @Inject
    AdminService admin;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private volatile KafkaProducer<String, byte[]> producer;
    private final java.util.Set<Long> queued = new java.util.LinkedHashSet<>();
    private boolean sweepDone;
    private boolean sending;
    private volatile boolean running = true;
    private volatile Thread worker;
    private final java.util.concurrent.atomic.LongAdder published = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder busyNanos = new java.util.concurrent.atomic.LongAdder();

    /** Jobs published since start; methods, since a field read through the CDI client proxy reads the proxy's. */
    public long publishedCount() {
        return published.sum();
    }

    /** The worker's time spent publishing since start; the ingest benchmark reports it. */
    public long busyNanos() {
        return busyNanos.sum();
    }

    void onStart(@Observes io.quarkus.runtime.StartupEvent ev) {
        worker = Thread.ofPlatform().name("accounting-jobcomp").start(this::work);
    }

    void onStop(@Observes ShutdownEvent ev) {
        running = false;
        synchronized (queued) {
            queued.notifyAll();
        }
        if (worker != null) {
            try {
                worker.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (producer != null) {
            producer.close();
        }
    }

    /** Queues jobs whose history was just committed; those that have finished and are unmarked go out. */
    public void submit(Collection<Long> jobIds) {
        if (jobIds.isEmpty()) {
            return;
        }
        synchronized (queued) {
            queued.addAll(jobIds);
            queued.notifyAll();
        }
    }

    /** True when the start-up sweep is done and nothing is queued or being sent: benchmarks wait on it. */
    public boolean idle() {
        synchronized (queued) {
            return sweepDone && queued.isEmpty() && !sending;
        }
    }

    private void work() {
        while (running && !sweepDone) {
            try {
                List<Long> unsent = unsentFinishedJobs();
                synchronized (queued) {
                    queued.addAll(unsent);
                    sweepDone = true;
                }
            } catch (Exception e) {
                LOG.warnf("jobcomp: could not look for unsent jobs, retrying: %s", e.toString());
                sleep();
            }
        }
        while (running) {
            List<Long> batch;
            synchronized (queued) {
                while (running && queued.isEmpty()) {
                    try {
                        queued.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                batch = new ArrayList<>(Math.min(queued.size(), BATCH));
                var it = queued.iterator();
                while (it.hasNext() && batch.size() < BATCH) {
                    batch.add(it.next());
                    it.remove();
                }
                sending = !batch.isEmpty();
            }
            if (batch.isEmpty()) {
                continue;
            }
            long t0 = System.nanoTime();
            try {
                published.add(publish(batch));
            } catch (Exception e) {
                // Kafka or the database failed: keep the jobs queued and try again shortly.
                LOG.warnf("jobcomp: could not publish %d jobs, retrying: %s", batch.size(), e.toString());
                synchronized (queued) {
                    queued.addAll(batch);
                }
                sleep();
            } finally {
                busyNanos.add(System.nanoTime() - t0);
                synchronized (queued) {
                    sending = false;
                }
            }
        }
    }

    private List<Long> unsentFinishedJobs() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement p = c.prepareStatement("""
                SELECT j.job_id FROM jobs j
                WHERE j.state = ANY(?) AND j.submit_time IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM jobcomp_sent s WHERE s.job_id = j.job_id)
                ORDER BY j.job_id""")) {
            p.setArray(1, c.createArrayOf("text", TERMINAL.toArray()));
            List<Long> ids = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getLong(1));
                }
            }
            return ids;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = new KafkaProducer<>(KafkaSettings.producer(bootstrapServers, "sluice-accounting-jobcomp"));
                }
            }
        }
        return producer;
    }

    /**
     * Sends the completion record of every job among {@code jobIds} that has finished and was not sent yet, and
     * marks them; answers how many went out. Called on the worker thread only.
     */
    int publish(Collection<Long> jobIds) throws Exception {
        if (jobIds.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection()) {
            List<Map<String, Object>> records = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("""
                    SELECT j.job_id, j.user_name, j.uid, j.gid, j.submit_time, j.eligible_time, j.start_time,
                           j.end_time, j.partition_name, COALESCE(j.node_list, j.alloc_node_names), j.alloc_cpus,
                           j.alloc_nodes, j.state, j.exit_code, j.exit_signal, j.account, j.qos, j.req_cpus,
                           j.req_mem_mb, j.req_nodes, j.req_gpus, j.alloc_mem_mb, j.alloc_gpus, j.work_dir,
                           j.job_name, j.time_limit_minutes, j.std_out, j.std_err,
                           (SELECT max(s.exit_code) FROM job_steps s WHERE s.job_id = j.job_id
                                AND s.step_id NOT IN ('batch', 'extern')),
                           (SELECT max(s.exit_signal) FROM job_steps s WHERE s.job_id = j.job_id
                                AND s.step_id NOT IN ('batch', 'extern')),
                           j.gpu_type, COALESCE(j.alloc_gpu_type, j.gpu_type)
                    FROM jobs j
                    WHERE j.job_id = ANY(?) AND j.submit_time IS NOT NULL AND j.state = ANY(?)
                      AND NOT EXISTS (SELECT 1 FROM jobcomp_sent s WHERE s.job_id = j.job_id)""")) {
                p.setArray(1, c.createArrayOf("bigint", jobIds.toArray()));
                p.setArray(2, c.createArrayOf("text", TERMINAL.toArray()));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        records.add(record(r));
                    }
                }
            }
            if (records.isEmpty()) {
                return 0;
            }
            List<Future<?>> sent = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            for (Map<String, Object> rec : records) {
                long id = (Long) rec.get("jobid");
                ids.add(id);
                sent.add(producer().send(new ProducerRecord<>(Topics.JOBCOMP, Long.toString(id),
                        Json.MAPPER.writeValueAsBytes(rec))));
            }
            for (Future<?> f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO jobcomp_sent SELECT unnest(?::bigint[]) ON CONFLICT DO NOTHING")) {
                Array a = c.createArrayOf("bigint", ids.toArray());
                p.setArray(1, a);
                p.executeUpdate();
            }
            return ids.size();
        }
    }

    private Map<String, Object> record(ResultSet r) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        long id = r.getLong(1);
        Instant submit = instant(r.getTimestamp(5));
        Instant eligible = instant(r.getTimestamp(6));
        Instant start = instant(r.getTimestamp(7));
        Instant end = instant(r.getTimestamp(8));
        m.put("jobid", id);
        m.put("username", r.getString(2));
        m.put("user_id", r.getObject(3));
        // group names come with identity; until then the gid stands in, as sacct shows it
        m.put("groupname", r.getObject(4) == null ? null : r.getObject(4).toString());
        m.put("group_id", r.getObject(4));
        m.put("@submit", str(submit));
        m.put("@eligible", str(eligible != null ? eligible : submit));
        m.put("@start", str(start));
        m.put("@end", str(end));
        m.put("@queue_wait", start == null || submit == null ? 0
                : Math.max(0, Duration.between(eligible != null ? eligible : submit, start).toSeconds()));
        m.put("elapsed", start == null || end == null ? 0 : Math.max(0, Duration.between(start, end).toSeconds()));
        m.put("partition", r.getString(9));
        m.put("nodes", r.getString(10));
        m.put("total_cpus", r.getInt(11));
        m.put("total_nodes", r.getInt(12));
        m.put("state", r.getString(13));
        m.put("exit_code", r.getInt(14));
        m.put("derived_ec", r.getInt(29) + ":" + r.getInt(30));
        m.put("account", r.getString(16));
        m.put("qos", r.getString(17));
        String partition = r.getString(9);
        m.put("tres_req", SacctReport.billed(billing.forPartition(partition), (Integer) r.getObject(18),
                (Long) r.getObject(19), (Integer) r.getObject(20), r.getInt(21), r.getString(31)));
        m.put("tres_alloc", r.getObject(11) == null ? null : SacctReport.billed(billing.forPartition(partition),
                r.getInt(11), (Long) r.getObject(22), r.getInt(12), r.getInt(23), r.getString(32)));
        m.put("work_dir", r.getString(24));
        m.put("job_name", r.getString(25));
        m.put("time_limit", r.getObject(26));
        m.put("std_out", r.getString(27));
        m.put("std_err", r.getString(28));
        m.put("cpu_hours", start == null || end == null ? 0.0
                : r.getInt(11) * Duration.between(start, end).toSeconds() / 3600.0);
        m.put("cluster", admin.cluster());
        return m;
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }
}
