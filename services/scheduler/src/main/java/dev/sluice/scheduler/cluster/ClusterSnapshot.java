package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.core.ClusterView;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The latest picture the scheduling loop published after a pass. HTTP threads read only this immutable value,
 * never the core, which belongs to the loop's thread.
 */
@ApplicationScoped
public class ClusterSnapshot {
    private final AtomicReference<ClusterView> view = new AtomicReference<>(ClusterView.EMPTY);
    public void publish(ClusterView next) {
        view.set(next);
    }

    public ClusterView view() {
        return view.get();
    }
}
