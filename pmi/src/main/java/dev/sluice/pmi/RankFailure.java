package dev.sluice.pmi;

/**
 * A rank that ended the step abnormally, as the PMI server saw it.
 *
 * @param rank the global rank
 * @param kind whether the rank asked to abort or its PMI connection dropped before {@code finalize}
 * @param exitCode the exit code the rank asked for ({@link Kind#ABORT} only; -1 when unknown)
 * @param message the rank's abort message, or a description of the lost connection
 */
public record RankFailure(int rank, Kind kind, int exitCode, String message) {

    public enum Kind {
        /** The rank called {@code PMI_Abort} (MPI_Abort, or MPI's own fatal error path). */
        ABORT,
        /** The rank's PMI connection closed before it sent {@code finalize} (crash, kill, exit without MPI_Finalize). */
        DISCONNECTED
    }

    /** One line for the step's FAILED reason, naming the rank the way Slurm's messages do. */
    public String describe() {
        return switch (kind) {
            case ABORT -> "task " + rank + " called abort (exit code " + exitCode + ")"
                    + (message == null || message.isBlank() ? "" : ": " + message);
            case DISCONNECTED -> "task " + rank + " lost its PMI connection before finalize"
                    + (message == null || message.isBlank() ? "" : ": " + message);
        };
    }
}
