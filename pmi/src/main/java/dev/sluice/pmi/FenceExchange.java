package dev.sluice.pmi;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Merges the key-value puts of all nodes of a step at a barrier. One instance per node; every node calls
 * {@link #exchange} once per barrier, in the same order, because MPI barriers are collective.
 */
public interface FenceExchange extends AutoCloseable {

    /**
     * Contributes this node's puts since the previous barrier and completes, once every node of the step has
     * contributed to this round, with the union of all nodes' puts (later nodes win on a duplicate key).
     * Completes exceptionally if the exchange broke (a peer node vanished, the exchange was closed).
     */
    CompletableFuture<Map<String, String>> exchange(Map<String, String> localPuts);

    @Override
    default void close() {
    }
}
