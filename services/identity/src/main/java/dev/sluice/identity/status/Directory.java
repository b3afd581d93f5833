package dev.sluice.identity.status;

import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The users and groups identity currently knows, by name, with their numeric ids. Empty until the LDAP sync
 * (a later issue) fills it; the sync will record each run here and publish the differences as identity events.
 */
@ApplicationScoped
public class Directory {
    private final Map<String, Integer> users = new ConcurrentHashMap<>();
    private final Map<String, Integer> groups = new ConcurrentHashMap<>();
    private volatile Instant lastSync;

    public int userCount() {
        return users.size();
    }

    public int groupCount() {
        return groups.size();
    }

    public Instant lastSync() {
        return lastSync;
    }
}
