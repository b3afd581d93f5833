package dev.sluice.pmi;

import dev.sluice.pmi.PmiWire.Framing;
import dev.sluice.pmi.PmiWire.Message;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The PMI server for the ranks of one step on one node: the role slurmstepd's pmi2 plugin plays in Slurm. Ranks
 * connect to {@code PMI_PORT} and speak MPICH's simple PMI-1 wire protocol (what Debian's MPICH 4.0 uses) or the
 * PMI-2 framing. Puts are visible on this node at once and on the other nodes of the step after the next barrier,
 * which the {@link FenceExchange} completes across nodes.
 *
 * <p>One instance per node per step; close it when the step ends (it closes its fence exchange too).
 */
public final class SimplePmiServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SimplePmiServer.class.getName());

    /** Same limits as MPICH's Hydra; MPICH splits longer values itself. */
    static final int KVSNAME_MAX = 256;
    static final int KEYLEN_MAX = 64;
    static final int VALLEN_MAX = 1024;
    public static final String PROCESS_MAPPING_KEY = "PMI_process_mapping";

    private final StepLayout layout;
    private final int nodeIndex;
    private final Set<Integer> localRanks;
    private final FenceExchange fence;
    private final PmiListener listener;
    private final ServerSocket serverSocket;
    private final String portSpec;
    private final Executor completions = task -> Thread.ofPlatform().daemon().name("pmi-fence-done").start(task);

    private final Map<String, String> kvs = new ConcurrentHashMap<>();
    private final Map<String, String> nodeAttrs = new ConcurrentHashMap<>();
    private final Map<Integer, Connection> claimed = new ConcurrentHashMap<>();
    private final Set<Integer> finalized = ConcurrentHashMap.newKeySet();
    private final Set<Integer> failed = ConcurrentHashMap.newKeySet();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> allFinalized = new CompletableFuture<>();

    private final Object barrierLock = new Object();
    private final List<Waiter> inBarrier = new ArrayList<>();
    private final List<Waiter> nodeAttrWaiters = new ArrayList<>();
    private Map<String, String> putsSinceBarrier = new LinkedHashMap<>();
    private volatile boolean closed;

    /** A connection parked until something happens, with the reply that releases it. */
    private record Waiter(Connection connection, Framing framing, String thrid, String key) {
    }

    private SimplePmiServer(Builder b) throws IOException {
        this.layout = b.layout;
        this.nodeIndex = b.nodeIndex;
        this.localRanks = Set.copyOf(layout.localRanks(nodeIndex));
        this.fence = b.fence != null ? b.fence : defaultFence(layout);
        this.listener = b.listener;
        kvs.put(PROCESS_MAPPING_KEY, layout.processMapping());
        serverSocket = new ServerSocket();
        serverSocket.bind(new InetSocketAddress(b.bindAddress, b.port), 64);
        InetAddress bound = serverSocket.getInetAddress();
        String host = bound.isAnyLocalAddress() ? InetAddress.getLoopbackAddress().getHostAddress() : bound.getHostAddress();
        portSpec = host + ":" + serverSocket.getLocalPort();
        Thread.ofPlatform().daemon().name("pmi-accept-" + layout.kvsName() + "-n" + nodeIndex).start(this::acceptLoop);
    }

    private static FenceExchange defaultFence(StepLayout layout) {
        if (layout.nodeCount() != 1) {
            throw new IllegalArgumentException("a step on " + layout.nodeCount() + " nodes needs a FenceExchange");
        }
        return InProcessFenceExchange.singleNode();
    }

    public static Builder builder(StepLayout layout, int nodeIndex) {
        return new Builder(layout, nodeIndex);
    }

    public static final class Builder {
        private final StepLayout layout;
        private final int nodeIndex;
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private int port;
        private FenceExchange fence;
        private PmiListener listener = PmiListener.NONE;

        private Builder(StepLayout layout, int nodeIndex) {
            this.layout = Objects.requireNonNull(layout, "layout");
            if (nodeIndex < 0 || nodeIndex >= layout.nodeCount()) {
                throw new IllegalArgumentException("node index " + nodeIndex + " outside 0.." + (layout.nodeCount() - 1));
            }
            this.nodeIndex = nodeIndex;
        }

        /** Where ranks connect; loopback by default, since ranks run on the same node as their server. */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = Objects.requireNonNull(address);
            return this;
        }

        /** 0 (the default) picks a free port. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Required when the step spans several nodes; a single-node step completes barriers locally. */
        public Builder fence(FenceExchange fence) {
            this.fence = fence;
            return this;
        }

        public Builder listener(PmiListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        public SimplePmiServer start() throws IOException {
            return new SimplePmiServer(this);
        }
    }

    /** {@code host:port}, the value of {@code PMI_PORT}. */
    public String portSpec() {
        return portSpec;
    }

    public StepLayout layout() {
        return layout;
    }

    public int nodeIndex() {
        return nodeIndex;
    }

    /**
     * The environment a rank of this node needs to find this server (add it to the task's environment). Both PMI-1
     * ({@code PMI_ID} answers the {@code initack}) and PMI-2 ({@code fullinit pmiid}) clients read these.
     */
    public Map<String, String> environmentFor(int rank) {
        if (!localRanks.contains(rank)) {
            throw new IllegalArgumentException("rank " + rank + " does not run on node " + nodeIndex + " of this step");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PMI_PORT", portSpec);
        env.put("PMI_ID", Integer.toString(rank));
        env.put("PMI_RANK", Integer.toString(rank));
        env.put("PMI_SIZE", Integer.toString(layout.size()));
        return env;
    }

    /** Completes when every rank of this node has sent PMI {@code finalize}. */
    public CompletableFuture<Void> allFinalized() {
        return allFinalized;
    }

    @Override
    public void close() {
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        connections.forEach(Connection::close);
        fence.close();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = serverSocket.accept();
                socket.setTcpNoDelay(true);
                Connection c = new Connection(socket);
                connections.add(c);
                Thread.ofPlatform().daemon().name("pmi-conn-" + layout.kvsName()).start(c::serve);
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "PMI accept failed on " + portSpec, e);
                }
                return;
            }
        }
    }

    /** One rank's PMI connection. Requests are answered in order; a barrier reply comes later from the fence. */
    private final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private volatile int rank = -1;
        private volatile boolean done;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void serve() {
            String endReason = "connection closed";
            try (socket) {
                InputStream in = new BufferedInputStream(socket.getInputStream());
                Message m;
                while ((m = PmiWire.read(in)) != null) {
                    Message logged = m;
                    LOG.log(System.Logger.Level.DEBUG, () -> "rank " + rank + " -> " + logged.raw());
                    if (!handle(m)) {
                        break;
                    }
                }
            } catch (IOException e) {
                endReason = e.getMessage();
            } finally {
                connections.remove(this);
                ended(endReason);
            }
        }

        synchronized void send(byte[] bytes) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "rank " + rank + ": reply lost: " + e.getMessage());
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        private void ended(String reason) {
            int r = rank;
            if (r >= 0 && !done && !closed && failed.add(r)) {
                listener.rankFailed(new RankFailure(r, RankFailure.Kind.DISCONNECTED, -1, reason));
            }
        }

        /** @return false to drop the connection */
        private boolean handle(Message m) {
            return m.framing() == Framing.V1 ? handleV1(m) : handleV2(m);
        }

        private boolean handleV1(Message m) {
            switch (m.cmd()) {
                case "initack" -> {
                    int id = m.getInt("pmiid", -1);
                    String problem = claim(id);
                    if (problem != null) {
                        send(PmiWire.v1("initack", "rc", "-1", "msg", problem.replace(' ', '_')));
                        return false;
                    }
                    send(concat(PmiWire.v1("initack"),
                            PmiWire.v1("set", "size", Integer.toString(layout.size())),
                            PmiWire.v1("set", "rank", Integer.toString(id)),
                            PmiWire.v1("set", "debug", "0")));
                }
                case "init" -> {
                    // A PMI-2 client opens with this PMI-1 line and then switches to the PMI-2 framing.
                    boolean v2 = m.getInt("pmi_version", 1) == 2;
                    send(PmiWire.v1("response_to_init", "pmi_version", v2 ? "2" : "1",
                            "pmi_subversion", v2 ? "0" : "1", "rc", "0"));
                }
                case "get_maxes" -> send(PmiWire.v1("maxes", "kvsname_max", Integer.toString(KVSNAME_MAX),
                        "keylen_max", Integer.toString(KEYLEN_MAX), "vallen_max", Integer.toString(VALLEN_MAX), "rc", "0"));
                case "get_appnum" -> send(PmiWire.v1("appnum", "appnum", "0", "rc", "0"));
                case "get_my_kvsname" -> send(PmiWire.v1("my_kvsname", "kvsname", layout.kvsName(), "rc", "0"));
                case "get_universe_size" -> send(PmiWire.v1("universe_size", "size", Integer.toString(layout.size()), "rc", "0"));
                case "put" -> {
                    String key = m.get("key");
                    String value = m.get("value");
                    if (key == null || value == null) {
                        send(PmiWire.v1("put_result", "rc", "-1", "msg", "put_needs_key_and_value"));
                    } else {
                        put(key, value);
                        send(PmiWire.v1("put_result", "rc", "0", "msg", "success"));
                    }
                }
                case "get" -> {
                    String key = Objects.requireNonNullElse(m.get("key"), "");
                    String value = kvs.get(key);
                    send(value != null
                            ? PmiWire.v1("get_result", "rc", "0", "msg", "success", "value", value)
                            : PmiWire.v1("get_result", "rc", "-1", "msg", "key_" + key + "_not_found"));
                }
                case "barrier_in" -> enterBarrier(new Waiter(this, Framing.V1, null, null));
                case "finalize" -> {
                    // Recorded before the ack: a rank exits as soon as it is acknowledged, and its closing
                    // connection must not be taken for a rank lost before finalize.
                    finish();
                    send(PmiWire.v1("finalize_ack"));
                }
                case "abort" -> abort(m.getInt("exitcode", 1), m.get("message"));
                default -> {
                    LOG.log(System.Logger.Level.WARNING, "rank " + rank + " sent unsupported PMI-1 command: " + m.raw());
                    send(PmiWire.v1(m.cmd() + "_result", "rc", "-1", "msg", "unsupported_by_sluice"));
                }
            }
            return true;
        }

        private boolean handleV2(Message m) {
            String thrid = m.get("thrid");
            switch (m.cmd()) {
                case "fullinit" -> {
                    int id = m.getInt("pmiid", m.getInt("pmirank", m.getInt("pmi_id", -1)));
                    String problem = claim(id);
                    if (problem != null) {
                        send(v2(thrid, "fullinit-response", "rc", "-1", "errmsg", problem));
                        return false;
                    }
                    send(v2(thrid, "fullinit-response", "rc", "0", "pmi-version", "2", "pmi-subversion", "0",
                            "rank", Integer.toString(id), "size", Integer.toString(layout.size()), "appnum", "0",
                            "debugged", "FALSE", "pmiverbose", "0"));
                }
                case "job-getid" -> send(v2(thrid, "job-getid-response", "rc", "0", "jobid", layout.kvsName()));
                case "kvs-put" -> {
                    String key = m.get("key");
                    String value = m.get("value");
                    if (key == null || value == null) {
                        send(v2(thrid, "kvs-put-response", "rc", "-1", "errmsg", "kvs-put needs key and value"));
                    } else {
                        put(key, value);
                        send(v2(thrid, "kvs-put-response", "rc", "0"));
                    }
                }
                case "kvs-get" -> {
                    String value = kvs.get(Objects.requireNonNullElse(m.get("key"), ""));
                    send(value != null
                            ? v2(thrid, "kvs-get-response", "rc", "0", "found", "TRUE", "value", value)
                            : v2(thrid, "kvs-get-response", "rc", "0", "found", "FALSE"));
                }
                case "kvs-fence" -> enterBarrier(new Waiter(this, Framing.V2, thrid, null));
                case "info-getjobattr" -> {
                    String key = Objects.requireNonNullElse(m.get("key"), "");
                    String value = key.startsWith("PMI_") ? kvs.get(key) : null;
                    send(value != null
                            ? v2(thrid, "info-getjobattr-response", "rc", "0", "found", "TRUE", "value", value)
                            : v2(thrid, "info-getjobattr-response", "rc", "0", "found", "FALSE"));
                }
                case "info-putnodeattr" -> {
                    putNodeAttr(m.get("key"), m.get("value"));
                    send(v2(thrid, "info-putnodeattr-response", "rc", "0"));
                }
                case "info-getnodeattr" -> getNodeAttr(new Waiter(this, Framing.V2, thrid, m.get("key")),
                        "TRUE".equalsIgnoreCase(m.get("wait")));
                case "finalize" -> {
                    finish();
                    send(v2(thrid, "finalize-response", "rc", "0"));
                }
                case "abort" -> {
                    String message = m.get("message") != null ? m.get("message") : m.get("msg");
                    abort(m.getInt("exitcode", 1), message);
                    return false;
                }
                default -> {
                    LOG.log(System.Logger.Level.WARNING, "rank " + rank + " sent unsupported PMI-2 command: " + m.raw());
                    send(v2(thrid, m.cmd() + "-response", "rc", "-1", "errmsg", "unsupported by sluice"));
                }
            }
            return true;
        }

        /** @return null when this connection now speaks for {@code id}, else why not */
        private String claim(int id) {
            if (!localRanks.contains(id)) {
                return "rank " + id + " does not run on node " + nodeIndex + " of step " + layout.kvsName();
            }
            if (claimed.putIfAbsent(id, this) != null) {
                return "rank " + id + " is already connected";
            }
            rank = id;
            return null;
        }

        private void finish() {
            done = true;
            int r = rank;
            if (r >= 0 && finalized.add(r)) {
                listener.rankFinalized(r);
                if (finalized.containsAll(localRanks)) {
                    allFinalized.complete(null);
                }
            }
        }

        private void abort(int exitCode, String message) {
            done = true;
            int r = rank;
            if (r >= 0 && failed.add(r)) {
                listener.rankFailed(new RankFailure(r, RankFailure.Kind.ABORT, exitCode, message));
            }
        }
    }

    private static byte[] v2(String thrid, String cmd, String... keyValues) {
        if (thrid == null) {
            return PmiWire.v2(cmd, keyValues);
        }
        String[] withThrid = new String[keyValues.length + 2];
        withThrid[0] = "thrid";
        withThrid[1] = thrid;
        System.arraycopy(keyValues, 0, withThrid, 2, keyValues.length);
        return PmiWire.v2(cmd, withThrid);
    }

    private static byte[] concat(byte[]... parts) {
        int len = 0;
        for (byte[] p : parts) {
            len += p.length;
        }
        byte[] all = new byte[len];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private void put(String key, String value) {
        synchronized (barrierLock) {
            kvs.put(key, value);
            putsSinceBarrier.put(key, value);
        }
    }

    /**
     * The barrier completes when every local rank has entered it and the fence exchange has merged every node's
     * puts; only then are the ranks released, so a get after a barrier sees every put made before it on any node.
     */
    private void enterBarrier(Waiter waiter) {
        List<Waiter> released;
        Map<String, String> contribution;
        synchronized (barrierLock) {
            inBarrier.add(waiter);
            if (inBarrier.size() < localRanks.size()) {
                return;
            }
            released = List.copyOf(inBarrier);
            inBarrier.clear();
            contribution = putsSinceBarrier;
            putsSinceBarrier = new LinkedHashMap<>();
        }
        fence.exchange(contribution).whenCompleteAsync((merged, error) -> {
            if (error != null) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "fence of step " + layout.kvsName() + " failed", error);
                    listener.fenceFailed(error);
                }
                return;
            }
            kvs.putAll(merged);
            for (Waiter w : released) {
                w.connection().send(w.framing() == Framing.V1
                        ? PmiWire.v1("barrier_out")
                        : v2(w.thrid(), "kvs-fence-response", "rc", "0"));
            }
        }, completions);
    }

    private void putNodeAttr(String key, String value) {
        if (key == null || value == null) {
            return;
        }
        List<Waiter> satisfied = new ArrayList<>();
        synchronized (barrierLock) {
            nodeAttrs.put(key, value);
            nodeAttrWaiters.removeIf(w -> {
                if (w.key().equals(key)) {
                    satisfied.add(w);
                    return true;
                }
                return false;
            });
        }
        satisfied.forEach(w -> w.connection().send(
                v2(w.thrid(), "info-getnodeattr-response", "rc", "0", "found", "TRUE", "value", value)));
    }

    private void getNodeAttr(Waiter w, boolean wait) {
        String key = Objects.requireNonNullElse(w.key(), "");
        String value;
        synchronized (barrierLock) {
            value = nodeAttrs.get(key);
            if (value == null && wait) {
                nodeAttrWaiters.add(new Waiter(w.connection(), w.framing(), w.thrid(), key));
                return;
            }
        }
        w.connection().send(value != null
                ? v2(w.thrid(), "info-getnodeattr-response", "rc", "0", "found", "TRUE", "value", value)
                : v2(w.thrid(), "info-getnodeattr-response", "rc", "0", "found", "FALSE"));
    }
}
