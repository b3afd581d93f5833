package dev.sluice.pmi;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects what a server reports; {@link #firstFailure} lets a test wait for the first bad news. */
final class RecordingListener implements PmiListener {
    final List<RankFailure> failures = new CopyOnWriteArrayList<>();
    final List<Integer> finalized = new CopyOnWriteArrayList<>();
    final CompletableFuture<RankFailure> firstFailure = new CompletableFuture<>();
    final CompletableFuture<Throwable> fenceFailure = new CompletableFuture<>();

    @Override
    public void rankFailed(RankFailure failure) {
        failures.add(failure);
        firstFailure.complete(failure);
    }

    @Override
    public void rankFinalized(int rank) {
        finalized.add(rank);
    }

    @Override
    public void fenceFailed(Throwable cause) {
        fenceFailure.complete(cause);
    }
}
