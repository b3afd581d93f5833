package dev.sluice.accounting.sacct;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where one sacct request's time went, as the stages of a {@code Server-Timing} header ({@code parse;dur=0.1,
 * jobs;dur=2.3, ...}, milliseconds): a user (or the benchmark) can tell the server's own part of a slow answer from
 * the network, the client and the CLI's JVM start. Each mark closes the stage that began at the previous one.
 */
public final class SacctTiming {
    private final long start;
    private long last;
    private final List<String> names = new ArrayList<>();
    private final List<Long> nanos = new ArrayList<>();

    public SacctTiming(long startNanos) {
        this.start = startNanos;
        this.last = startNanos;
    }

    public synchronized void mark(String stage) {
        long now = System.nanoTime();
        names.add(stage);
        nanos.add(now - last);
        last = now;
    }

    public synchronized double totalMillis() {
        return (last - start) / 1e6;
    }

    /** The header value, stages in order and {@code total} last. */
    public synchronized String header() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            b.append(names.get(i)).append(";dur=").append(String.format(Locale.ROOT, "%.2f", nanos.get(i) / 1e6))
                    .append(", ");
        }
        return b.append("total;dur=").append(String.format(Locale.ROOT, "%.2f", totalMillis())).toString();
    }
}
