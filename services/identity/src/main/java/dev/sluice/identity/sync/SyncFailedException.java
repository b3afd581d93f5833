package dev.sluice.identity.sync;

import java.util.List;

/** A sync that applied nothing, and why. */
public class SyncFailedException extends Exception {
    public enum Reason {
        /** The directory or the mapping is inconsistent: an administrator must fix it. */
        INVALID,
        /** The directory could not be read. */
        LDAP_UNAVAILABLE,
        /** Kafka did not take the sync's transaction. */
        PUBLISH_FAILED,
        /** No LDAP server is configured. */
        NOT_CONFIGURED
    }

    private final Reason reason;
    private final List<String> problems;

    public SyncFailedException(Reason reason, String message, List<String> problems, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.problems = List.copyOf(problems);
    }

    public Reason reason() {
        return reason;
    }

    public List<String> problems() {
        return problems;
    }
}
