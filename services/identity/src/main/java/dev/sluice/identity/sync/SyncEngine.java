package dev.sluice.identity.sync;

import dev.sluice.contracts.identity.IdentityEvent;
import dev.sluice.identity.ldap.DirectorySnapshot;
import dev.sluice.identity.ldap.LdapReader;
import dev.sluice.identity.ldap.LdapUnavailableException;
import dev.sluice.identity.mapping.AccountMapping;
import dev.sluice.identity.state.EventPublisher;
import dev.sluice.identity.state.IdentityState;
import org.apache.kafka.common.KafkaException;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One sync: read the directory, apply the mapping, compare with what was published, publish the difference in
 * one transaction. Everything is checked before anything is published, so a sync applies all of its changes or
 * none. Syncs run one at a time (the scheduled one and an on-demand one wait for each other).
 */
public final class SyncEngine {
    private final LdapReader reader;
    private final Supplier<AccountMapping> mapping;
    private final EventPublisher publisher;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile IdentityState published;
    private volatile SyncReport lastReport;
    private volatile Instant lastApplied;

    /** @param mapping supplies the current mapping; throws IllegalArgumentException when it cannot be read */
    public SyncEngine(LdapReader reader, Supplier<AccountMapping> mapping, EventPublisher publisher,
                      IdentityState published, Clock clock) {
        this.reader = reader;
        this.mapping = mapping;
        this.publisher = publisher;
        this.published = published;
        this.clock = clock;
    }

    public SyncReport run(boolean dryRun) throws SyncFailedException {
        lock.lock();
        try {
            return runLocked(dryRun);
        } finally {
            lock.unlock();
        }
    }

    private SyncReport runLocked(boolean dryRun) throws SyncFailedException {
        Instant started = clock.instant();
        String runId = "identity-sync-" + UUID.randomUUID();
        AccountMapping m;
        try {
            m = mapping.get();
        } catch (IllegalArgumentException e) {
            throw new SyncFailedException(SyncFailedException.Reason.INVALID,
                    "sync refused, nothing applied: " + e.getMessage(), List.of(e.getMessage()), e);
        }
        if (reader == null) {
            throw new SyncFailedException(SyncFailedException.Reason.NOT_CONFIGURED,
                    "LDAP is not configured: set sluice.identity.ldap.url", List.of(), null);
        }
        DirectorySnapshot dir;
        try {
            dir = reader.read();
        } catch (LdapUnavailableException e) {
            throw new SyncFailedException(SyncFailedException.Reason.LDAP_UNAVAILABLE,
                    e.getMessage() + "; nothing applied", List.of(e.getMessage()), e);
        }
        DesiredState desired = DesiredState.compute(dir, m);
        if (!desired.problems().isEmpty()) {
            throw new SyncFailedException(SyncFailedException.Reason.INVALID, "sync refused, nothing applied: "
                    + desired.problems().size() + " problem" + (desired.problems().size() == 1 ? "" : "s")
                    + " in the directory or the mapping", desired.problems(), null);
        }
        IdentityState before = published;
        List<Change> changes = Diff.between(before, desired.state(), started);
        int users = desired.state().users().size();
        int groups = desired.state().groups().size();
        String counts = "(" + users + " users, " + groups + " groups)";
        String summary;
        boolean applied = false;
        if (changes.isEmpty()) {
            summary = "no changes: Sluice already has what LDAP has " + counts;
        } else if (dryRun) {
            summary = "dry run: " + plural(changes.size()) + " would be applied " + counts;
        } else {
            List<IdentityEvent> events = changes.stream().map(Change::event).toList();
            try {
                publisher.publish(runId, events);
            } catch (KafkaException e) {
                throw new SyncFailedException(SyncFailedException.Reason.PUBLISH_FAILED,
                        "Kafka did not take the sync's events, nothing applied: " + e.getMessage(),
                        List.of(String.valueOf(e.getMessage())), e);
            }
            IdentityState after = before.copy();
            events.forEach(after::apply);
            published = after;
            applied = true;
            summary = "applied " + plural(changes.size()) + " " + counts;
        }
        Instant finished = clock.instant();
        SyncReport report = new SyncReport(runId, dryRun, applied, summary, users, groups, changes.size(),
                changes.stream().map(Change::line).toList(), desired.warnings(), started, finished);
        if (!dryRun) {
            lastReport = report;
            lastApplied = finished;
        }
        return report;
    }

    private static String plural(int n) {
        return n + (n == 1 ? " change" : " changes");
    }

    public IdentityState published() {
        return published;
    }

    /** The last sync that was not a dry run, or null. */
    public SyncReport lastReport() {
        return lastReport;
    }

    /** When the last real (not dry-run) sync finished, or null. */
    public Instant lastSync() {
        return lastApplied;
    }
}
