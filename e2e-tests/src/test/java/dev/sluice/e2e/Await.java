package dev.sluice.e2e;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls until a condition holds, then returns the value that satisfied it; fails with the last value seen. */
final class Await {
    private Await() {
    }

    static <T> T until(Duration timeout, Supplier<T> probe, java.util.function.Predicate<T> done, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("Timed out after " + timeout + " waiting for " + what + "; last seen:\n" + last);
    }
}
