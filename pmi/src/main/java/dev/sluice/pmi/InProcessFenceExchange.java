package dev.sluice.pmi;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * A fence exchange between nodes that live in the same JVM: a single-node step, or several simulated nodes in a
 * test. Rounds complete on the thread of the last node to contribute.
 */
public final class InProcessFenceExchange {

    private final int nodes;
    private final List<ArrayDeque<Contribution>> pending = new ArrayList<>();
    private boolean closed;

    private record Contribution(Map<String, String> puts, CompletableFuture<Map<String, String>> result) {
    }

    private InProcessFenceExchange(int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1");
        }
        this.nodes = nodes;
        for (int i = 0; i < nodes; i++) {
            pending.add(new ArrayDeque<>());
        }
    }

    /** The exchange for a step that runs on one node: every round completes at once with the node's own puts. */
    public static FenceExchange singleNode() {
        return group(1).getFirst();
    }

    /** One connected member per node, in node order. */
    public static List<FenceExchange> group(int nodes) {
        InProcessFenceExchange shared = new InProcessFenceExchange(nodes);
        List<FenceExchange> members = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            int node = i;
            members.add(new FenceExchange() {
                @Override
                public CompletableFuture<Map<String, String>> exchange(Map<String, String> localPuts) {
                    return shared.contribute(node, localPuts);
                }

                @Override
                public void close() {
                    shared.close();
                }
            });
        }
        return members;
    }

    private CompletableFuture<Map<String, String>> contribute(int node, Map<String, String> puts) {
        CompletableFuture<Map<String, String>> result = new CompletableFuture<>();
        List<Contribution> round;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new CancellationException("fence exchange closed"));
            }
            pending.get(node).add(new Contribution(Map.copyOf(puts), result));
            if (pending.stream().anyMatch(ArrayDeque::isEmpty)) {
                return result;
            }
            round = pending.stream().map(ArrayDeque::poll).toList();
        }
        Map<String, String> merged = new LinkedHashMap<>();
        round.forEach(c -> merged.putAll(c.puts()));
        Map<String, String> view = java.util.Collections.unmodifiableMap(merged);
        round.forEach(c -> c.result().complete(view));
        return result;
    }

    private void close() {
        List<Contribution> abandoned = new ArrayList<>();
        synchronized (this) {
            closed = true;
            pending.forEach(q -> {
                abandoned.addAll(q);
                q.clear();
            });
        }
        abandoned.forEach(c -> c.result().completeExceptionally(new CancellationException("fence exchange closed")));
    }

    @Override
    public String toString() {
        return "InProcessFenceExchange[" + nodes + " nodes]";
    }
}
