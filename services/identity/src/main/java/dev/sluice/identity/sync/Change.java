package dev.sluice.identity.sync;

import dev.sluice.contracts.identity.IdentityEvent;

/**
 * One difference between what Sluice was told and what the directory says, and the event that tells Sluice.
 *
 * @param line how the change reads in a report: {@code add user gildong (uid 2001, ...)}
 */
public record Change(Kind kind, String subject, String line, IdentityEvent event) {
    public enum Kind { ADD, UPDATE, REMOVE }
}
