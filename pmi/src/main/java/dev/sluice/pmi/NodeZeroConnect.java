package dev.sluice.pmi;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Connects a step's node to node 0, retrying with a growing pause until {@code timeout}: the nodes of a step start
 * in no particular order, so node 0 may not be listening yet. Shared by the PMI fence and the PMIx step channel.
 */
public final class NodeZeroConnect {
    private NodeZeroConnect() {
    }

    /** {@code what} names the far end in the error, e.g. "node 0's fence exchange". */
    public static Socket connect(InetSocketAddress to, Duration timeout, String what) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long backoffMs = 5;
        while (true) {
            Socket socket = new Socket();
            try {
                socket.connect(to, (int) Math.max(1, timeout.toMillis()));
                return socket;
            } catch (IOException e) {
                socket.close();
                if (System.nanoTime() + backoffMs * 1_000_000 > deadline) {
                    throw new IOException("cannot reach " + what + " at " + to + ": " + e.getMessage(), e);
                }
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while connecting to " + to, ie);
                }
                backoffMs = Math.min(backoffMs * 2, 200);
            }
        }
    }
}
