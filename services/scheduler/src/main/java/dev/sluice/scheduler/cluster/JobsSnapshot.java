package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.core.Job;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** The live jobs after the loop's last pass, by id: what scontrol show job reads without touching the core. */
@ApplicationScoped
public class JobsSnapshot {
    private final AtomicReference<Map<Long, Job>> jobs = new AtomicReference<>(Map.of());
    private final AtomicReference<Map<Long, java.time.Instant>> planned = new AtomicReference<>(Map.of());

    /** The core's expected starts of pending jobs (its backfill reservations), for squeue --start. */
    public void publishPlanned(Map<Long, java.time.Instant> next) {
        planned.set(next);
    }

    public java.time.Instant plannedStart(long id) {
        return planned.get().get(id);
    }

    public void publish(List<Job> next) {
        Map<Long, Job> m = new HashMap<>(next.size() * 2);
        next.forEach(j -> m.put(j.id(), j));
        jobs.set(m);
    }

    public Job job(long id) {
        return jobs.get().get(id);
    }

    public java.util.Collection<Job> all() {
        return jobs.get().values();
    }
}
