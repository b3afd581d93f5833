package dev.sluice.accounting.usage;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Prometheus figures from the history tables, refreshed every 15 s on a thread of their own (a scrape never waits
 * on the database): {@code sluice_jobs{state}} for running and pending jobs, and
 * {@code sluice_cpu_seconds{account,user}} / {@code sluice_gpu_seconds{account,user}} used by finished and running
 * jobs.
 */
@ApplicationScoped
public class UsageMetrics {
    private static final Logger LOG = Logger.getLogger(UsageMetrics.class);

    @Inject
    DataSource dataSource;
    @Inject
    MeterRegistry registry;

    private MultiGauge jobs;
    private MultiGauge cpu;
    private MultiGauge gpu;
    private MultiGauge gpuType;
    private volatile Thread thread;

    void onStart(@Observes StartupEvent ev) {
        jobs = MultiGauge.builder("sluice.jobs").description("Jobs by state (running, pending)").register(registry);
        cpu = MultiGauge.builder("sluice.cpu.seconds").description("CPU-seconds allocated, by account and user")
                .register(registry);
        gpu = MultiGauge.builder("sluice.gpu.seconds").description("GPU-seconds allocated, by account and user")
                .register(registry);
        gpuType = MultiGauge.builder("sluice.gpu.type.seconds")
                .description("GPU-seconds allocated to jobs that asked for a GPU type, by account, user and type")
                .register(registry);
        thread = Thread.ofPlatform().daemon().name("accounting-metrics").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                refresh();
                try {
                    Thread.sleep(15_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Reads the figures now; also called by the refresh thread. */
    public void refresh() {
        try (Connection c = dataSource.getConnection()) {
            List<MultiGauge.Row<?>> states = new ArrayList<>();
            try (ResultSet r = c.createStatement().executeQuery("""
                    SELECT s, (SELECT count(*) FROM jobs WHERE submit_time IS NOT NULL
                                  AND coalesce(state, 'PENDING') = upper(s))
                    FROM unnest(ARRAY['running', 'pending']) AS s""")) {
                while (r.next()) {
                    states.add(MultiGauge.Row.of(Tags.of("state", r.getString(1)), r.getLong(2)));
                }
            }
            jobs.register(states, true);
            List<MultiGauge.Row<?>> cpuRows = new ArrayList<>();
            List<MultiGauge.Row<?>> gpuRows = new ArrayList<>();
            try (ResultSet r = c.createStatement().executeQuery("""
                    SELECT coalesce(account, ''), coalesce(user_name, ''),
                           sum(coalesce(alloc_cpus, 0) * extract(epoch FROM coalesce(end_time, now()) - start_time)),
                           sum(coalesce(alloc_gpus, 0) * extract(epoch FROM coalesce(end_time, now()) - start_time))
                    FROM jobs WHERE start_time IS NOT NULL GROUP BY 1, 2""")) {
                while (r.next()) {
                    Tags tags = Tags.of("account", r.getString(1), "user", r.getString(2));
                    cpuRows.add(MultiGauge.Row.of(tags, r.getDouble(3)));
                    gpuRows.add(MultiGauge.Row.of(tags, r.getDouble(4)));
                }
            }
            cpu.register(cpuRows, true);
            gpu.register(gpuRows, true);
            List<MultiGauge.Row<?>> typeRows = new ArrayList<>();
            try (ResultSet r = c.createStatement().executeQuery("""
                    SELECT coalesce(account, ''), coalesce(user_name, ''), COALESCE(alloc_gpu_type, gpu_type),
                           sum(coalesce(alloc_gpus, 0) * extract(epoch FROM coalesce(end_time, now()) - start_time))
                    FROM jobs WHERE start_time IS NOT NULL AND COALESCE(alloc_gpu_type, gpu_type) IS NOT NULL
                      AND alloc_gpus > 0
                    GROUP BY 1, 2, 3""")) {
                while (r.next()) {
                    typeRows.add(MultiGauge.Row.of(Tags.of("account", r.getString(1), "user", r.getString(2),
                            "type", r.getString(3)), r.getDouble(4)));
                }
            }
            gpuType.register(typeRows, true);
        } catch (Exception e) {
            LOG.warnf("Could not refresh usage metrics: %s", e.toString());
        }
    }
}
