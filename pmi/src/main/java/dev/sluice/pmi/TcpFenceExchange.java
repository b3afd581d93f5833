package dev.sluice.pmi;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cross-node fence over TCP, star-shaped: node 0 of the step listens, every other node keeps one connection to it
 * for the step's lifetime. At each barrier every node sends its blob (the puts since the previous barrier); when node
 * 0 holds one blob from every node it merges them in node order and pushes the result down every connection. Two
 * network hops per barrier, no polling, no broker.
 *
 * <p>Its few long-lived I/O loops run on daemon platform threads: on a 2-CPU node, virtual threads blocked in
 * these loops were seen to starve the carrier pool until a barrier timed out.
 *
 * <p>Wire format (big-endian, one frame per message): hello {@code int MAGIC, int version, int node, utf secret};
 * blob/result {@code int type, int entries, (int len, bytes key, int len, bytes value)*}.
 */
public abstract sealed class TcpFenceExchange implements FenceExchange {

    static final int MAGIC = 0x534c4650; // "SLFP"
    static final int VERSION = 1;
    static final int BLOB = 1;
    static final int RESULT = 2;
    private static final int HELLO_TIMEOUT_MS = 10_000;
    private static final int MAX_ENTRIES = 1 << 20;
    private static final int MAX_STRING = 16 << 20;

    protected final int nodes;
    protected volatile Throwable broken;

    private TcpFenceExchange(int nodes) {
        this.nodes = nodes;
    }

    /**
     * Node 0's side: listens on {@code bind} (port 0 picks a free one) for the {@code nodes - 1} other nodes of the
     * step. {@code secret} must match what the others present; pass the step's credential so nothing else on the
     * network can join a step's fence.
     */
    public static Leader leader(InetSocketAddress bind, int nodes, String secret) throws IOException {
        return new Leader(bind, nodes, secret);
    }

    /**
     * Node {@code node}'s side (1..nodes-1): connects to node 0, retrying until {@code connectTimeout} because the
     * nodes of a step start in no particular order.
     */
    public static Follower join(InetSocketAddress leader, int node, int nodes, String secret, Duration connectTimeout)
            throws IOException {
        return new Follower(leader, node, nodes, secret, connectTimeout);
    }

    protected static void writeMap(DataOutputStream out, int type, Map<String, String> map) throws IOException {
        out.writeInt(type);
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : map.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
        out.flush();
    }

    protected static Map<String, String> readMap(DataInputStream in, int expectedType) throws IOException {
        int type = in.readInt();
        if (type != expectedType) {
            throw new IOException("fence protocol error: frame type " + type + ", expected " + expectedType);
        }
        int entries = in.readInt();
        if (entries < 0 || entries > MAX_ENTRIES) {
            throw new IOException("fence protocol error: " + entries + " entries");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < entries; i++) {
            map.put(readString(in), readString(in));
        }
        return map;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > MAX_STRING) {
            throw new IOException("fence protocol error: string of " + len + " bytes");
        }
        return new String(in.readNBytes(len), StandardCharsets.UTF_8);
    }

    private static void configure(Socket socket) throws SocketException {
        socket.setTcpNoDelay(true);
        socket.setKeepAlive(true);
    }

    /** Node 0: accepts the other nodes, collects one blob per node per round, broadcasts the merge. */
    public static final class Leader extends TcpFenceExchange {

        private final ServerSocket server;
        private final String secret;
        private final Map<Integer, Peer> peers = new ConcurrentHashMap<>();
        private final List<ArrayDeque<Map<String, String>>> pending = new ArrayList<>();
        private final ArrayDeque<CompletableFuture<Map<String, String>>> ownWaiting = new ArrayDeque<>();
        private volatile boolean closed;

        private record Peer(Socket socket, DataOutputStream out) {
        }

        private Leader(InetSocketAddress bind, int nodes, String secret) throws IOException {
            super(nodes);
            if (nodes < 1) {
                throw new IllegalArgumentException("nodes must be >= 1");
            }
            this.secret = secret == null ? "" : secret;
            for (int i = 0; i < nodes; i++) {
                pending.add(new ArrayDeque<>());
            }
            server = new ServerSocket();
            server.bind(bind);
            Thread.ofPlatform().daemon().name("pmi-fence-accept").start(this::acceptLoop);
        }

        /** The address the other nodes must {@link #join} (hand it to them with the launch request). */
        public InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        private void acceptLoop() {
            while (!closed) {
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException e) {
                    if (!closed) {
                        fail(e);
                    }
                    return;
                }
                Thread.ofPlatform().daemon().name("pmi-fence-peer").start(() -> servePeer(socket));
            }
        }

        private void servePeer(Socket socket) {
            int node = -1;
            try (socket) {
                configure(socket);
                DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
                // A stray client that connects and says nothing must not hold a thread for the step's lifetime.
                socket.setSoTimeout(HELLO_TIMEOUT_MS);
                if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                    return; // not one of ours: drop it without disturbing the step
                }
                int claimed = in.readInt();
                String presented = in.readUTF();
                if (!secret.equals(presented) || claimed < 1 || claimed >= nodes) {
                    return;
                }
                synchronized (this) {
                    // Under the lock failLocked hangs up on every registered peer with: a node whose hello is read
                    // after the fence broke must be hung up on too (returning closes it), or it waits forever.
                    if (broken != null || peers.putIfAbsent(claimed, new Peer(socket, out)) != null) {
                        return;
                    }
                }
                node = claimed;
                socket.setSoTimeout(0);
                while (true) {
                    Map<String, String> blob = readMap(in, BLOB);
                    contribute(node, blob);
                }
            } catch (EOFException | SocketException e) {
                if (node >= 0 && !closed) {
                    fail(new IOException("node " + node + " left the step's fence exchange"));
                }
            } catch (IOException e) {
                if (node >= 0 && !closed) {
                    fail(e);
                }
            }
        }

        @Override
        public CompletableFuture<Map<String, String>> exchange(Map<String, String> localPuts) {
            CompletableFuture<Map<String, String>> result = new CompletableFuture<>();
            synchronized (this) {
                if (broken != null) {
                    return CompletableFuture.failedFuture(broken);
                }
                ownWaiting.add(result);
            }
            contribute(0, localPuts);
            return result;
        }

        private void contribute(int node, Map<String, String> blob) {
            CompletableFuture<Map<String, String>> own;
            Map<String, String> merged;
            synchronized (this) {
                if (broken != null) {
                    return;
                }
                pending.get(node).add(Map.copyOf(blob));
                if (pending.stream().anyMatch(ArrayDeque::isEmpty)) {
                    return;
                }
                Map<String, String> union = new LinkedHashMap<>();
                pending.forEach(q -> union.putAll(q.poll()));
                merged = Collections.unmodifiableMap(union);
                // Broadcasting while holding the lock keeps every peer's results in round order.
                for (Map.Entry<Integer, Peer> peer : peers.entrySet()) {
                    try {
                        writeMap(peer.getValue().out(), RESULT, merged);
                    } catch (IOException e) {
                        failLocked(new IOException("node " + peer.getKey() + " left the step's fence exchange", e));
                        return;
                    }
                }
                own = ownWaiting.poll();
            }
            if (own != null) {
                own.complete(merged);
            }
        }

        private void fail(Throwable cause) {
            synchronized (this) {
                failLocked(cause);
            }
        }

        private void failLocked(Throwable cause) {
            if (broken == null) {
                broken = cause;
            }
            CompletableFuture<Map<String, String>> f;
            while ((f = ownWaiting.poll()) != null) {
                f.completeExceptionally(new CompletionException(cause));
            }
            // A broken step fence cannot recover: hanging up makes every other node fail its barrier too.
            for (Peer peer : peers.values()) {
                try {
                    peer.socket().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            fail(new IOException("fence exchange closed"));
            try {
                server.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Nodes 1..n-1: one connection to node 0; results arrive in the order blobs were sent. */
    public static final class Follower extends TcpFenceExchange {

        private final Socket socket;
        private final DataOutputStream out;
        private final DataInputStream in;
        private final ArrayDeque<CompletableFuture<Map<String, String>>> waiting = new ArrayDeque<>();
        private volatile boolean closed;

        private Follower(InetSocketAddress leader, int node, int nodes, String secret, Duration connectTimeout)
                throws IOException {
            super(nodes);
            if (node < 1 || node >= nodes) {
                throw new IllegalArgumentException("a follower's node index is 1.." + (nodes - 1) + ", got " + node);
            }
            socket = NodeZeroConnect.connect(leader, connectTimeout, "node 0's fence exchange");
            configure(socket);
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(node);
            out.writeUTF(secret == null ? "" : secret);
            out.flush();
            Thread.ofPlatform().daemon().name("pmi-fence-follower").start(this::readLoop);
        }

        private void readLoop() {
            try {
                while (true) {
                    Map<String, String> merged = Collections.unmodifiableMap(readMap(in, RESULT));
                    CompletableFuture<Map<String, String>> f;
                    synchronized (this) {
                        f = waiting.poll();
                    }
                    if (f == null) {
                        throw new IOException("fence protocol error: a result arrived for no pending barrier");
                    }
                    f.complete(merged);
                }
            } catch (IOException e) {
                fail(closed ? new IOException("fence exchange closed") : new IOException("lost node 0's fence exchange", e));
            }
        }

        @Override
        public CompletableFuture<Map<String, String>> exchange(Map<String, String> localPuts) {
            CompletableFuture<Map<String, String>> result = new CompletableFuture<>();
            synchronized (this) {
                if (broken != null) {
                    return CompletableFuture.failedFuture(broken);
                }
                waiting.add(result);
                try {
                    writeMap(out, BLOB, localPuts);
                } catch (IOException e) {
                    broken = e;
                    waiting.remove(result);
                    return CompletableFuture.failedFuture(e);
                }
            }
            return result;
        }

        private void fail(Throwable cause) {
            List<CompletableFuture<Map<String, String>>> abandoned;
            synchronized (this) {
                if (broken == null) {
                    broken = cause;
                }
                abandoned = new ArrayList<>(waiting);
                waiting.clear();
            }
            abandoned.forEach(f -> f.completeExceptionally(new CompletionException(cause)));
        }

        @Override
        public void close() {
            closed = true;
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
