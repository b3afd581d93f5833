package dev.sluice.identity.sync;

import java.time.Instant;
import java.util.List;

/**
 * What one sync found and did.
 *
 * @param summary  one line for people: {@code no changes: ...}, {@code applied 3 changes ...},
 *                 {@code dry run: 10 changes would be applied ...}
 * @param applied  true when the changes were published (never for a dry run or when there were none)
 * @param changes  one line per change, in the order the events were (or would be) published
 * @param warnings things worth knowing that did not stop the sync (a mapped group missing from the directory)
 */
public record SyncReport(String runId, boolean dryRun, boolean applied, String summary, int users, int groups,
                         int changeCount, List<String> changes, List<String> warnings, Instant startedAt,
                         Instant finishedAt) {
}
