package dev.sluice.scheduler.admin;

import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who set a node's reason and when: sinfo -R's USER and TIMESTAMP, scontrol's {@code Reason=... [user@time]}. The
 * core keeps only the reason text, so the admin endpoint that sets it records the rest here. Kept in memory: after
 * a scheduler restart a drained node keeps its reason but shows no user and time until it is set again.
 */
@ApplicationScoped
public class NodeReasons {
    public record Stamp(String reason, String user, Instant time) {
    }

    private final Map<String, Stamp> stamps = new ConcurrentHashMap<>();

    void set(String node, String reason, String user, Instant time) {
        stamps.put(node, new Stamp(reason, user, time));
    }

    void clear(String node) {
        stamps.remove(node);
    }

    /** The stamp of the node's current reason; none when the reason was set otherwise (a lost node, an event). */
    public Optional<Stamp> of(String node, String currentReason) {
        Stamp s = stamps.get(node);
        return s != null && s.reason().equals(currentReason) ? Optional.of(s) : Optional.empty();
    }
}
