package dev.sluice.pmix;

import dev.sluice.pmi.NodeZeroConnect;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The direct TCP channel between the PMIx helpers of one step, star-shaped: node 0 listens, every other node keeps
 * one connection to it for the step's lifetime, and node 0 routes. It carries three things:
 * <ul>
 * <li>fence: every node sends its blob; node 0, holding one from every node, sends back the concatenation in node
 * order (what libpmix expects from {@code fence_nb}). Fences are collective and ordered, so no round number.</li>
 * <li>direct modex: a request for one rank's data goes to the node running it and the answer comes back.</li>
 * <li>abort: one node's abort (MPI_Abort, or a rank that died) reaches every other node, which ends its ranks.</li>
 * </ul>
 * Frames (big-endian): hello {@code int MAGIC, int version, int node, utf secret}; then {@code int type} followed by
 * FENCE {@code bytes}, FENCE_RESULT {@code bytes}, DMODEX_REQ {@code int id, int from, int owner, int rank},
 * DMODEX_RESP {@code int id, int to, int status, bytes}, ABORT {@code int origin, int rank, int status, utf message}
 * ({@code bytes} = {@code int length} + data). Loops run on daemon platform threads (virtual threads blocked in I/O
 * were seen to starve the 2-CPU carrier pool in the sibling PMI module).
 */
public final class StepChannel implements AutoCloseable {

    /** What the channel needs from this node's helper. */
    public interface Handler {
        /** Another node wants the modex data of {@code rank}, which runs here. */
        CompletableFuture<byte[]> localModex(int rank);

        /** Another node's rank aborted (or died): end this node's ranks. */
        void remoteAbort(int node, int rank, int status, String message);

        /** The channel broke (a node vanished): the step cannot go on. */
        void broken(String why);
    }

    static final int MAGIC = 0x534c5058; // "SLPX"
    static final int VERSION = 1;
    private static final int FENCE = 1;
    private static final int FENCE_RESULT = 2;
    /** How long node 0 waits for a follower that another node already addresses. */
    private static final Duration JOIN_WAIT = Duration.ofSeconds(30);
    private static final int DMODEX_REQ = 3;
    private static final int DMODEX_RESP = 4;
    private static final int ABORT = 5;
    private static final int DONE = 6;
    private static final int MAX_BLOB = 256 << 20;
    private static final int HELLO_TIMEOUT_MS = 10_000;

    private final int node;
    private final int nodes;
    private final Handler handler;
    private final String secret;
    private final ServerSocket server; // node 0 of a multi-node step only
    private final Conn leader; // nodes 1..n-1 only
    private final Map<Integer, Conn> followers = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> finished = new ConcurrentHashMap<>();
    private final List<ArrayDeque<byte[]>> pendingBlobs = new ArrayList<>();
    private final ArrayDeque<CompletableFuture<byte[]>> ownFences = new ArrayDeque<>();
    private final Map<Integer, CompletableFuture<byte[]>> dmodexWaiting = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger(1);
    private volatile boolean closed;
    private volatile String broken;

    private record Conn(Socket socket, DataOutputStream out, DataInputStream in) {
        synchronized void send(Frame f) throws IOException {
            f.write(out);
            out.flush();
        }
    }

    private interface Frame {
        void write(DataOutputStream out) throws IOException;
    }

    private StepChannel(int node, int nodes, String secret, Handler handler, ServerSocket server, Conn leader) {
        this.node = node;
        this.nodes = nodes;
        this.secret = secret == null ? "" : secret;
        this.handler = handler;
        this.server = server;
        this.leader = leader;
        for (int i = 0; i < nodes; i++) {
            pendingBlobs.add(new ArrayDeque<>());
        }
    }

    /** Node 0: listens on {@code bind} (port 0 picks one, see {@link #address()}) for the other nodes. */
    public static StepChannel leader(InetSocketAddress bind, int nodes, String secret, Handler handler) throws IOException {
        ServerSocket server = null;
        if (nodes > 1) {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(bind);
        }
        StepChannel c = new StepChannel(0, nodes, secret, handler, server, null);
        if (server != null) {
            Thread.ofPlatform().daemon().name("pmix-channel-accept").start(c::acceptLoop);
        }
        return c;
    }

    /** Nodes 1..n-1: connect to node 0, retrying until {@code timeout} because the nodes start in any order. */
    public static StepChannel join(InetSocketAddress leaderAddress, int node, int nodes, String secret,
                                   Duration timeout, Handler handler) throws IOException {
        if (node < 1 || node >= nodes) {
            throw new IllegalArgumentException("node index must be 1.." + (nodes - 1) + ", got " + node);
        }
        Socket socket = NodeZeroConnect.connect(leaderAddress, timeout, "node 0's PMIx helper");
        socket.setTcpNoDelay(true);
        Conn conn = new Conn(socket, new DataOutputStream(new BufferedOutputStream(socket.getOutputStream())),
                new DataInputStream(new BufferedInputStream(socket.getInputStream())));
        String s = secret == null ? "" : secret;
        conn.send(out -> {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(node);
            out.writeUTF(s);
        });
        StepChannel c = new StepChannel(node, nodes, s, handler, null, conn);
        Thread.ofPlatform().daemon().name("pmix-channel-follower").start(() -> c.readLoop(conn, 0));
        return c;
    }

    public InetSocketAddress address() {
        if (server == null) {
            throw new IllegalStateException("only node 0 of a multi-node step listens");
        }
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /** Whether every other node has connected (node 0 only; trivially true elsewhere). */
    public boolean allJoined() {
        return node != 0 || followers.size() == nodes - 1;
    }

    // ---- public operations ----

    public CompletableFuture<byte[]> fence(byte[] blob) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        if (broken != null) {
            result.completeExceptionally(new IOException(broken));
            return result;
        }
        if (node == 0) {
            synchronized (this) {
                ownFences.add(result);
            }
            contribute(0, blob);
        } else {
            synchronized (this) {
                ownFences.add(result);
            }
            sendToLeader(out -> {
                out.writeInt(FENCE);
                writeBytes(out, blob);
            });
        }
        return result;
    }

    public CompletableFuture<byte[]> directModex(int owner, int rank) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        if (broken != null) {
            result.completeExceptionally(new IOException(broken));
            return result;
        }
        int id = ids.getAndIncrement();
        dmodexWaiting.put(id, result);
        routeDmodexRequest(id, node, owner, rank);
        return result;
    }

    public void abort(int rank, int status, String message) {
        routeAbort(node, rank, status, message);
    }

    /**
     * This node's ranks have all ended. A follower says so to node 0 and hangs up; node 0 waits (up to
     * {@code wait}) for every follower to say so, because a follower may still need node 0 until its ranks end.
     */
    public void finish(Duration wait) {
        if (node != 0) {
            try {
                leader.send(out -> out.writeInt(DONE));
            } catch (IOException ignored) {
                // node 0 is gone: nothing to tell
            }
            close();
            return;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (this) {
            while (broken == null && finished.size() < nodes - 1 && System.nanoTime() < deadline) {
                try {
                    wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        close();
    }

    // ---- routing ----

    private void routeDmodexRequest(int id, int from, int owner, int rank) {
        if (owner == node) {
            handler.localModex(rank).whenComplete((data, failure) -> {
                int status = failure == null ? PmixAbi.SUCCESS : PmixAbi.ERR_NOT_FOUND;
                routeDmodexResponse(id, from, status, failure == null ? data : new byte[0]);
            });
        } else if (node == 0) {
            sendToFollower(owner, out -> {
                out.writeInt(DMODEX_REQ);
                out.writeInt(id);
                out.writeInt(from);
                out.writeInt(owner);
                out.writeInt(rank);
            });
        } else {
            sendToLeader(out -> {
                out.writeInt(DMODEX_REQ);
                out.writeInt(id);
                out.writeInt(from);
                out.writeInt(owner);
                out.writeInt(rank);
            });
        }
    }

    private void routeDmodexResponse(int id, int to, int status, byte[] data) {
        if (to == node) {
            CompletableFuture<byte[]> f = dmodexWaiting.remove(id);
            if (f != null) {
                if (status == PmixAbi.SUCCESS) {
                    f.complete(data);
                } else {
                    f.completeExceptionally(new IOException("the node running that rank has no modex data (" + status + ")"));
                }
            }
            return;
        }
        Frame frame = out -> {
            out.writeInt(DMODEX_RESP);
            out.writeInt(id);
            out.writeInt(to);
            out.writeInt(status);
            writeBytes(out, data);
        };
        if (node == 0) {
            sendToFollower(to, frame);
        } else {
            sendToLeader(frame);
        }
    }

    private void routeAbort(int origin, int rank, int status, String message) {
        if (origin != node) {
            handler.remoteAbort(origin, rank, status, message);
        }
        Frame frame = out -> {
            out.writeInt(ABORT);
            out.writeInt(origin);
            out.writeInt(rank);
            out.writeInt(status);
            out.writeUTF(message.length() > 10_000 ? message.substring(0, 10_000) : message);
        };
        if (node == 0) {
            for (int f : followers.keySet()) {
                if (f != origin) {
                    sendToFollower(f, frame);
                }
            }
        } else if (origin == node) {
            sendToLeader(frame);
        }
    }

    private void contribute(int from, byte[] blob) {
        byte[] merged;
        CompletableFuture<byte[]> own;
        synchronized (this) {
            pendingBlobs.get(from).add(blob);
            if (pendingBlobs.stream().anyMatch(ArrayDeque::isEmpty)) {
                return;
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (ArrayDeque<byte[]> q : pendingBlobs) {
                all.writeBytes(q.poll());
            }
            merged = all.toByteArray();
            // Sent under the lock so every follower receives the results in round order.
            for (int f : followers.keySet()) {
                sendToFollower(f, out -> {
                    out.writeInt(FENCE_RESULT);
                    writeBytes(out, merged);
                });
            }
            own = ownFences.poll();
        }
        if (own != null) {
            own.complete(merged);
        }
    }

    // ---- I/O ----

    private void sendToLeader(Frame f) {
        try {
            leader.send(f);
        } catch (IOException e) {
            fail("lost the connection to node 0's PMIx helper: " + e.getMessage());
        }
    }

    private void sendToFollower(int f, Frame frame) {
        Conn c = awaitFollower(f);
        if (c == null) {
            fail("node " + f + " never joined the step's PMIx channel");
            return;
        }
        try {
            c.send(frame);
        } catch (IOException e) {
            fail("lost node " + f + "'s PMIx helper: " + e.getMessage());
        }
    }

    /**
     * The connection of follower {@code f}, waiting for it to join if it has not yet: another node may route a
     * direct-modex request to it before its hello has been read here.
     */
    private Conn awaitFollower(int f) {
        long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
        synchronized (this) {
            Conn c;
            while ((c = followers.get(f)) == null && !closed && broken == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            return c;
        }
    }

    private boolean register(int follower, Conn c) {
        synchronized (this) {
            if (followers.putIfAbsent(follower, c) != null) {
                return false;
            }
            notifyAll();
            return true;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    fail("PMIx channel listener failed: " + e.getMessage());
                }
                return;
            }
            Thread.ofPlatform().daemon().name("pmix-channel-peer").start(() -> hello(socket));
        }
    }

    private void hello(Socket socket) {
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(HELLO_TIMEOUT_MS);
            Conn c = new Conn(socket, new DataOutputStream(new BufferedOutputStream(socket.getOutputStream())),
                    new DataInputStream(new BufferedInputStream(socket.getInputStream())));
            if (c.in().readInt() != MAGIC || c.in().readInt() != VERSION) {
                socket.close();
                return; // not one of ours: drop it without disturbing the step
            }
            int claimed = c.in().readInt();
            String presented = c.in().readUTF();
            if (!secret.equals(presented) || claimed < 1 || claimed >= nodes || !register(claimed, c)) {
                socket.close();
                return;
            }
            socket.setSoTimeout(0);
            readLoop(c, claimed);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // dropping it anyway
            }
        }
    }

    /** Reads frames from one connection: at node 0 from follower {@code peer}, at a follower from node 0. */
    private void readLoop(Conn c, int peer) {
        try {
            while (true) {
                DataInputStream in = c.in();
                int type = in.readInt();
                switch (type) {
                    case FENCE -> contribute(peer, readBytes(in));
                    case FENCE_RESULT -> {
                        byte[] merged = readBytes(in);
                        CompletableFuture<byte[]> f;
                        synchronized (this) {
                            f = ownFences.poll();
                        }
                        if (f == null) {
                            throw new IOException("protocol error: a fence result for no pending fence");
                        }
                        f.complete(merged);
                    }
                    case DMODEX_REQ -> {
                        int id = in.readInt();
                        int from = in.readInt();
                        int owner = in.readInt();
                        int rank = in.readInt();
                        routeDmodexRequest(id, from, owner, rank);
                    }
                    case DMODEX_RESP -> {
                        int id = in.readInt();
                        int to = in.readInt();
                        int status = in.readInt();
                        routeDmodexResponse(id, to, status, readBytes(in));
                    }
                    case ABORT -> {
                        int origin = in.readInt();
                        int rank = in.readInt();
                        int status = in.readInt();
                        routeAbort(origin, rank, status, in.readUTF());
                    }
                    case DONE -> {
                        synchronized (this) {
                            finished.put(peer, true);
                            notifyAll();
                        }
                        c.socket().close();
                        return;
                    }
                    default -> throw new IOException("protocol error: frame type " + type);
                }
            }
        } catch (IOException e) {
            if (!closed) {
                fail(node == 0 ? "node " + peer + "'s PMIx helper left the step" : "node 0's PMIx helper left the step");
            }
        }
    }

    private void fail(String why) {
        List<CompletableFuture<byte[]>> abandoned;
        synchronized (this) {
            if (broken != null || closed) {
                return;
            }
            broken = why;
            notifyAll();
            abandoned = new ArrayList<>(ownFences);
            ownFences.clear();
        }
        abandoned.addAll(dmodexWaiting.values());
        dmodexWaiting.clear();
        abandoned.forEach(f -> f.completeExceptionally(new IOException(why)));
        handler.broken(why);
        // A broken step cannot recover: hanging up makes every other node notice too.
        closeSockets();
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > MAX_BLOB) {
            throw new IOException("protocol error: blob of " + len + " bytes");
        }
        return in.readNBytes(len);
    }

    private void closeSockets() {
        try {
            if (server != null) {
                server.close();
            }
            if (leader != null) {
                leader.socket().close();
            }
            for (Conn c : followers.values()) {
                c.socket().close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        closeSockets();
    }
}
