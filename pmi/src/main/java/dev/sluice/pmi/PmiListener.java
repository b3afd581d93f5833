package dev.sluice.pmi;

/**
 * What the launcher hears from a {@link SimplePmiServer}. Callbacks run on the server's I/O threads: return quickly
 * and never throw.
 */
public interface PmiListener {

    PmiListener NONE = new PmiListener() {
        @Override
        public void rankFailed(RankFailure failure) {
        }
    };

    /** A rank aborted or vanished; the launcher should end the step FAILED naming {@link RankFailure#rank()}. */
    void rankFailed(RankFailure failure);

    /** A rank completed PMI {@code finalize}. */
    default void rankFinalized(int rank) {
    }

    /** The cross-node exchange behind a barrier failed: the ranks blocked in it will never be released. */
    default void fenceFailed(Throwable cause) {
    }
}
