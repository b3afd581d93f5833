package dev.sluice.pmix;

import java.util.concurrent.CompletableFuture;

/**
 * What the PMIx server library asks of its host (the helper). Called on libpmix's progress thread: implementations
 * must return at once and do network work elsewhere; a thrown exception is caught and answered with an error.
 */
public interface PmixHost {

    /** Every local rank entered a fence: complete with every node's blob concatenated in node order. */
    CompletableFuture<byte[]> fence(byte[] localBlob);

    /** A local rank wants the modex data of {@code rank}, which lives on another node. */
    CompletableFuture<byte[]> directModex(int rank);

    /** A local rank called PMIx_Abort (Open MPI's MPI_Abort). */
    void abort(int rank, int status, String message);

    default void connected(int rank) {
    }

    default void finalized(int rank) {
    }
}
