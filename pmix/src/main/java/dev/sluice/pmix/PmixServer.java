package dev.sluice.pmix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * OpenPMIx's server library (libpmix.so.2) through the Foreign Function and Memory API. One per process, because
 * libpmix holds one server per process: that is why it lives in a per-step helper and not in the node agent.
 *
 * <p>Rules kept here: every upcall catches everything (an escaping exception kills the JVM); upcalls only copy
 * their input and hand off to {@link #worker}, and libpmix's callbacks are completed from that thread, never from
 * the progress thread; data handed to libpmix stays reachable until libpmix calls its release function; data
 * libpmix hands to us is copied before the upcall returns.
 */
public final class PmixServer implements AutoCloseable {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final long NO_ID = 0;

    private static volatile PmixServer instance;

    private final Arena arena = Arena.ofShared();
    private final PmixHost host;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pmix-host-callbacks");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong ids = new AtomicLong(1);
    private final Map<Long, CompletableFuture<Integer>> pendingOps = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<byte[]>> pendingDmodex = new ConcurrentHashMap<>();
    /** Blobs handed to libpmix, kept reachable until it calls {@link #onRelease}; freed by the GC afterwards. */
    private final Map<Long, MemorySegment> retained = new ConcurrentHashMap<>();
    private final MemorySegment opCallback;
    private final MemorySegment releaseCallback;
    private final MemorySegment dmodexCallback;
    private final Native n;
    private volatile boolean closed;

    /** The downcalls, looked up once. */
    private record Native(MethodHandle serverInit, MethodHandle serverFinalize, MethodHandle registerNspace,
                          MethodHandle deregisterNspace, MethodHandle registerClient, MethodHandle setupFork,
                          MethodHandle dmodexRequest, MethodHandle listStart, MethodHandle listAdd,
                          MethodHandle listConvert, MethodHandle listRelease, MethodHandle arrayDestruct,
                          MethodHandle errorString, MethodHandle callOp, MethodHandle callModex, MethodHandle free,
                          MethodHandle setenv, MethodHandle exit) {

        static Native load(Arena arena) {
            SymbolLookup pmix;
            try {
                pmix = SymbolLookup.libraryLookup("libpmix.so.2", arena);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("libpmix.so.2 not found: install the Debian package libpmix2", e);
            }
            SymbolLookup libc = LINKER.defaultLookup();
            return new Native(
                    down(pmix, "PMIx_server_init", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG)),
                    down(pmix, "PMIx_server_finalize", FunctionDescriptor.of(JAVA_INT)),
                    down(pmix, "PMIx_server_register_nspace",
                            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS)),
                    down(pmix, "PMIx_server_deregister_nspace", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS)),
                    down(pmix, "PMIx_server_register_client",
                            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS)),
                    down(pmix, "PMIx_server_setup_fork", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
                    down(pmix, "PMIx_server_dmodex_request", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS)),
                    down(pmix, "PMIx_Info_list_start", FunctionDescriptor.of(ADDRESS)),
                    down(pmix, "PMIx_Info_list_add", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_SHORT)),
                    down(pmix, "PMIx_Info_list_convert", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
                    down(pmix, "PMIx_Info_list_release", FunctionDescriptor.ofVoid(ADDRESS)),
                    down(pmix, "PMIx_Data_array_destruct", FunctionDescriptor.ofVoid(ADDRESS)),
                    down(pmix, "PMIx_Error_string", FunctionDescriptor.of(ADDRESS, JAVA_INT)),
                    LINKER.downcallHandle(FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS)),
                    LINKER.downcallHandle(FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS)),
                    down(libc, "free", FunctionDescriptor.ofVoid(ADDRESS)),
                    down(libc, "setenv", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)),
                    down(libc, "_exit", FunctionDescriptor.ofVoid(JAVA_INT)));
        }

        private static MethodHandle down(SymbolLookup lookup, String name, FunctionDescriptor fd) {
            MemorySegment symbol = lookup.find(name)
                    .orElseThrow(() -> new IllegalStateException("symbol " + name + " not found in libpmix"));
            return LINKER.downcallHandle(symbol, fd);
        }
    }

    /** One job-level value for {@link #registerNamespace}. */
    public sealed interface Value {
        record Str(String value) implements Value {
        }

        record U32(int value) implements Value {
        }

        record U16(short value) implements Value {
        }

        record Rank(int value) implements Value {
        }

        record Bool(boolean value) implements Value {
        }
    }

    private PmixServer(PmixHost host) {
        this.host = host;
        PmixAbi.verify();
        PmixStepHelper.phase("ABI verified");
        n = Native.load(arena);
        PmixStepHelper.phase("libpmix bound");
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            opCallback = upcall(l, "onOp", FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS));
            releaseCallback = upcall(l, "onRelease", FunctionDescriptor.ofVoid(ADDRESS));
            dmodexCallback = upcall(l, "onDmodexResponse", FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private MemorySegment upcall(MethodHandles.Lookup l, String name, FunctionDescriptor fd)
            throws ReflectiveOperationException {
        MethodHandle mh = l.findStatic(PmixServer.class, name, fd.toMethodType());
        return LINKER.upcallStub(mh, fd, arena);
    }

    /**
     * Initializes libpmix's server: {@code hostname} must equal this node's entry in the node map, {@code tmpdir}
     * is where libpmix puts its rendezvous files (one per node: several fake nodes on one host must differ).
     */
    public static synchronized PmixServer start(PmixHost host, String hostname, String tmpdir, Map<String, String> extraEnv) {
        if (instance != null) {
            throw new IllegalStateException("libpmix supports one server per process; this one already runs");
        }
        PmixServer server = new PmixServer(host);
        instance = server;
        try {
            server.init(hostname, tmpdir, extraEnv);
        } catch (RuntimeException | Error e) {
            instance = null;
            throw e;
        }
        return server;
    }

    private void init(String hostname, String tmpdir, Map<String, String> extraEnv) {
        try (Arena a = Arena.ofConfined()) {
            // libpmix reads its MCA settings (PMIX_MCA_*) from the process environment at init.
            for (Map.Entry<String, String> e : extraEnv.entrySet()) {
                int rc = (int) n.setenv.invokeExact(a.allocateFrom(e.getKey()), a.allocateFrom(e.getValue()), 1);
                if (rc != 0) {
                    throw new IllegalStateException("setenv " + e.getKey() + " failed");
                }
            }
            MethodHandles.Lookup l = MethodHandles.lookup();
            MemorySegment module = arena.allocate(PmixAbi.MODULE_SIZE, 8);
            module.set(ADDRESS, PmixAbi.MODULE_CLIENT_CONNECTED, upcall(l, "onConnected",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS)));
            module.set(ADDRESS, PmixAbi.MODULE_CLIENT_FINALIZED, upcall(l, "onFinalized",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS)));
            module.set(ADDRESS, PmixAbi.MODULE_ABORT, upcall(l, "onAbort", FunctionDescriptor.of(JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS)));
            module.set(ADDRESS, PmixAbi.MODULE_FENCE_NB, upcall(l, "onFence", FunctionDescriptor.of(JAVA_INT,
                    ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS)));
            module.set(ADDRESS, PmixAbi.MODULE_DIRECT_MODEX, upcall(l, "onDirectModex", FunctionDescriptor.of(JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS)));
            Map<String, Value> info = new LinkedHashMap<>();
            info.put("pmix.hname", new Value.Str(hostname)); // PMIX_HOSTNAME
            info.put("pmix.srvr.tmpdir", new Value.Str(tmpdir)); // PMIX_SERVER_TMPDIR
            info.put("pmix.sys.tmpdir", new Value.Str(tmpdir)); // PMIX_SYSTEM_TMPDIR
            if (System.getenv("SLUICE_PMIX_NO_SHARE_TOPO") == null) {
                info.put("pmix.srvr.share", new Value.Bool(true)); // PMIX_SERVER_SHARE_TOPOLOGY
            }
            InfoArray array = infoArray(info);
            try {
                PmixStepHelper.phase("upcalls + info ready");
                int rc = (int) n.serverInit.invokeExact(module, array.array(), array.size());
                check(rc, "PMIx_server_init");
            } finally {
                array.destroy();
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** An info array built by libpmix itself (so Java never lays out pmix_value_t). */
    private record InfoArray(PmixServer owner, MemorySegment darray) {
        MemorySegment array() {
            return darray.get(ADDRESS, PmixAbi.DATA_ARRAY_ARRAY_OFFSET);
        }

        long size() {
            return darray.get(JAVA_LONG, PmixAbi.DATA_ARRAY_SIZE_OFFSET);
        }

        void destroy() {
            try {
                owner.n.arrayDestruct.invokeExact(darray);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    private InfoArray infoArray(Map<String, Value> values) throws Throwable {
        MemorySegment list = (MemorySegment) n.listStart.invokeExact();
        try (Arena a = Arena.ofConfined()) {
            for (Map.Entry<String, Value> e : values.entrySet()) {
                MemorySegment key = a.allocateFrom(e.getKey());
                MemorySegment value;
                short type;
                switch (e.getValue()) {
                    case Value.Str s -> {
                        value = a.allocateFrom(s.value()); // PMIX_STRING takes the char* itself
                        type = PmixAbi.TYPE_STRING;
                    }
                    case Value.U32 u -> {
                        value = a.allocateFrom(JAVA_INT, u.value());
                        type = PmixAbi.TYPE_UINT32;
                    }
                    case Value.U16 u -> {
                        value = a.allocateFrom(JAVA_SHORT, u.value());
                        type = PmixAbi.TYPE_UINT16;
                    }
                    case Value.Rank r -> {
                        value = a.allocateFrom(JAVA_INT, r.value());
                        type = PmixAbi.TYPE_PROC_RANK;
                    }
                    case Value.Bool b -> {
                        value = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) (b.value() ? 1 : 0));
                        type = PmixAbi.TYPE_BOOL;
                    }
                }
                check((int) n.listAdd.invokeExact(list, key, value, type), "PMIx_Info_list_add " + e.getKey());
            }
            // The data array lives in our arena; libpmix fills in its own malloc'd info array (freed by destroy()).
            MemorySegment darray = arena.allocate(PmixAbi.DATA_ARRAY_SIZE, 8);
            check((int) n.listConvert.invokeExact(list, darray), "PMIx_Info_list_convert");
            return new InfoArray(this, darray);
        } finally {
            n.listRelease.invokeExact(list);
        }
    }

    /** Registers the step's namespace with its job-level info and waits for libpmix to accept it. */
    public void registerNamespace(String nspace, int localRanks, Map<String, Value> jobInfo) {
        try {
            InfoArray array = infoArray(jobInfo);
            long id = ids.getAndIncrement();
            CompletableFuture<Integer> done = new CompletableFuture<>();
            pendingOps.put(id, done);
            // libpmix reads the info array asynchronously: keep it until the op callback fired.
            int rc = (int) n.registerNspace.invokeExact(nspace(nspace), localRanks, array.array(), array.size(),
                    opCallback, MemorySegment.ofAddress(id));
            if (rc != PmixAbi.SUCCESS) {
                pendingOps.remove(id);
                array.destroy();
                check(rc, "PMIx_server_register_nspace");
            }
            int status = done.get(30, TimeUnit.SECONDS);
            array.destroy();
            check(status, "PMIx_server_register_nspace (callback)");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("PMIx_server_register_nspace: " + t, t);
        }
    }

    /** Registers one local rank (expected uid/gid of its process) and returns the environment it must start with. */
    public Map<String, String> registerClient(String nspace, int rank, int uid, int gid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment proc = proc(a, nspace, rank);
            long id = ids.getAndIncrement();
            CompletableFuture<Integer> done = new CompletableFuture<>();
            pendingOps.put(id, done);
            int rc = (int) n.registerClient.invokeExact(proc, uid, gid, MemorySegment.NULL, opCallback,
                    MemorySegment.ofAddress(id));
            if (rc == PmixAbi.OPERATION_SUCCEEDED) {
                pendingOps.remove(id);
            } else if (rc != PmixAbi.SUCCESS) {
                pendingOps.remove(id);
                check(rc, "PMIx_server_register_client");
            } else {
                check(done.get(30, TimeUnit.SECONDS), "PMIx_server_register_client (callback)");
            }
            MemorySegment envp = a.allocate(ADDRESS);
            envp.set(ADDRESS, 0, MemorySegment.NULL);
            check((int) n.setupFork.invokeExact(proc, envp), "PMIx_server_setup_fork");
            Map<String, String> env = new LinkedHashMap<>();
            MemorySegment vector = envp.get(ADDRESS, 0);
            if (!vector.equals(MemorySegment.NULL)) {
                MemorySegment entries = vector.reinterpret(Long.MAX_VALUE);
                for (long i = 0; ; i++) {
                    MemorySegment entry = entries.getAtIndex(ADDRESS, i);
                    if (entry.equals(MemorySegment.NULL)) {
                        break;
                    }
                    String kv = entry.reinterpret(Long.MAX_VALUE).getString(0);
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        env.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    n.free.invokeExact(entry);
                }
                n.free.invokeExact(vector);
            }
            return env;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("PMIx_server_register_client: " + t, t);
        }
    }

    /** Asks libpmix for a local rank's modex data (served to another node's direct_modex). */
    public CompletableFuture<byte[]> localModex(String nspace, int rank) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        long id = ids.getAndIncrement();
        pendingDmodex.put(id, result);
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) n.dmodexRequest.invokeExact(proc(a, nspace, rank), dmodexCallback, MemorySegment.ofAddress(id));
            if (rc != PmixAbi.SUCCESS) {
                pendingDmodex.remove(id);
                result.completeExceptionally(new PmixException(rc, "PMIx_server_dmodex_request", errorString(rc)));
            }
        } catch (Throwable t) {
            pendingDmodex.remove(id);
            result.completeExceptionally(t);
        }
        return result;
    }

    public void deregisterNamespace(String nspace) {
        try {
            long id = ids.getAndIncrement();
            CompletableFuture<Integer> done = new CompletableFuture<>();
            pendingOps.put(id, done);
            n.deregisterNspace.invokeExact(nspace(nspace), opCallback, MemorySegment.ofAddress(id));
            done.get(10, TimeUnit.SECONDS);
        } catch (Throwable t) {
            // The step is over either way; the process ends soon after.
        }
    }

    private MemorySegment nspace(String name) {
        if (name.length() > PmixAbi.NSPACE_MAX) {
            throw new IllegalArgumentException("namespace longer than " + PmixAbi.NSPACE_MAX + " characters");
        }
        MemorySegment s = arena.allocate(PmixAbi.NSPACE_MAX + 1);
        s.setString(0, name);
        return s;
    }

    private static MemorySegment proc(Arena a, String nspace, int rank) {
        MemorySegment proc = a.allocate(PmixAbi.PROC_SIZE, 4);
        proc.setString(0, nspace);
        proc.set(JAVA_INT, PmixAbi.PROC_RANK_OFFSET, rank);
        return proc;
    }

    private void check(int rc, String what) {
        if (rc != PmixAbi.SUCCESS && rc != PmixAbi.OPERATION_SUCCEEDED) {
            throw new PmixException(rc, what, errorString(rc));
        }
    }

    String errorString(int rc) {
        try {
            MemorySegment s = (MemorySegment) n.errorString.invokeExact(rc);
            return s.equals(MemorySegment.NULL) ? "?" : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "status " + rc;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int ignored = (int) n.serverFinalize.invokeExact();
        } catch (Throwable t) {
            // finalizing anyway
        }
        worker.shutdown();
        // The arena holds the upcall stubs libpmix may still reference from a lingering thread: keep it for the
        // rest of the process (the helper exits right after the step).
    }

    /**
     * Ends the process at once with {@code code}: {@code Runtime.halt} still runs the C library's exit handlers,
     * and libpmix's took about 300 ms of every launch (measured between the helper's last line and its exit).
     * Callers flush their output first.
     */
    public static void exitNow(int code) {
        PmixServer s = instance;
        if (s != null) {
            try {
                s.n.exit.invokeExact(code);
            } catch (Throwable t) {
                // fall through to halt
            }
        }
        Runtime.getRuntime().halt(code);
    }

    // ---- upcalls: run on libpmix's threads; never throw, never block ----

    private static int rankOf(MemorySegment proc) {
        return proc.reinterpret(PmixAbi.PROC_SIZE).get(JAVA_INT, PmixAbi.PROC_RANK_OFFSET);
    }

    private static int onConnected(MemorySegment proc, MemorySegment serverObject, MemorySegment cbfunc, MemorySegment cbdata) {
        try {
            PmixServer s = instance;
            int rank = rankOf(proc);
            s.worker.execute(() -> s.safely(() -> s.host.connected(rank)));
        } catch (Throwable t) {
            // ignore: connection bookkeeping only
        }
        return PmixAbi.OPERATION_SUCCEEDED;
    }

    private static int onFinalized(MemorySegment proc, MemorySegment serverObject, MemorySegment cbfunc, MemorySegment cbdata) {
        try {
            PmixServer s = instance;
            int rank = rankOf(proc);
            s.worker.execute(() -> s.safely(() -> s.host.finalized(rank)));
        } catch (Throwable t) {
            // ignore
        }
        return PmixAbi.OPERATION_SUCCEEDED;
    }

    private static int onAbort(MemorySegment proc, MemorySegment serverObject, int status, MemorySegment msg,
                               MemorySegment procs, long nprocs, MemorySegment cbfunc, MemorySegment cbdata) {
        try {
            PmixServer s = instance;
            int rank = rankOf(proc);
            String message = msg.equals(MemorySegment.NULL) ? "" : msg.reinterpret(65536).getString(0);
            s.worker.execute(() -> {
                s.safely(() -> s.host.abort(rank, status, message));
                s.completeOp(cbfunc, PmixAbi.SUCCESS, cbdata);
            });
            return PmixAbi.SUCCESS;
        } catch (Throwable t) {
            return PmixAbi.ERROR;
        }
    }

    private static int onFence(MemorySegment procs, long nprocs, MemorySegment info, long ninfo, MemorySegment data,
                               long ndata, MemorySegment cbfunc, MemorySegment cbdata) {
        try {
            PmixServer s = instance;
            byte[] blob = ndata == 0 ? new byte[0] : data.reinterpret(ndata).toArray(ValueLayout.JAVA_BYTE);
            s.worker.execute(() -> s.hostCall(() -> s.host.fence(blob), cbfunc, cbdata));
            return PmixAbi.SUCCESS;
        } catch (Throwable t) {
            return PmixAbi.ERROR;
        }
    }

    private static int onDirectModex(MemorySegment proc, MemorySegment info, long ninfo, MemorySegment cbfunc,
                                     MemorySegment cbdata) {
        try {
            PmixServer s = instance;
            int rank = rankOf(proc);
            s.worker.execute(() -> s.hostCall(() -> s.host.directModex(rank), cbfunc, cbdata));
            return PmixAbi.SUCCESS;
        } catch (Throwable t) {
            return PmixAbi.ERROR;
        }
    }

    private static void onOp(int status, MemorySegment cbdata) {
        try {
            CompletableFuture<Integer> f = instance.pendingOps.remove(cbdata.address());
            if (f != null) {
                f.complete(status);
            }
        } catch (Throwable t) {
            // nothing waits for an unknown op
        }
    }

    private static void onRelease(MemorySegment cbdata) {
        try {
            instance.retained.remove(cbdata.address());
        } catch (Throwable t) {
            // ignore
        }
    }

    private static void onDmodexResponse(int status, MemorySegment data, long size, MemorySegment cbdata) {
        try {
            PmixServer s = instance;
            CompletableFuture<byte[]> f = s.pendingDmodex.remove(cbdata.address());
            if (f == null) {
                return;
            }
            if (status != PmixAbi.SUCCESS) {
                f.completeExceptionally(new PmixException(status, "PMIx_server_dmodex_request (callback)", "status " + status));
                return;
            }
            byte[] copy = size == 0 ? new byte[0] : data.reinterpret(size).toArray(ValueLayout.JAVA_BYTE);
            // Completing elsewhere: the waiter does network I/O, which must not run on libpmix's thread.
            s.worker.execute(() -> f.complete(copy));
        } catch (Throwable t) {
            // ignore
        }
    }

    private void hostCall(java.util.function.Supplier<CompletableFuture<byte[]>> call, MemorySegment cbfunc,
                          MemorySegment cbdata) {
        CompletableFuture<byte[]> future;
        try {
            future = call.get();
        } catch (Throwable t) {
            future = CompletableFuture.failedFuture(t);
        }
        future.whenCompleteAsync((result, failure) -> completeModex(cbfunc, cbdata, result, failure), worker);
    }

    private void completeModex(MemorySegment cbfunc, MemorySegment cbdata, byte[] result, Throwable failure) {
        try {
            if (cbfunc.equals(MemorySegment.NULL)) {
                return;
            }
            if (failure != null || result == null) {
                System.err.println("sluice-pmix: error: exchange with the step's other nodes failed: "
                        + (failure == null ? "no data" : rootCause(failure)));
                n.callModex.invokeExact(cbfunc, PmixAbi.ERR_UNREACH, MemorySegment.NULL, 0L, cbdata,
                        MemorySegment.NULL, MemorySegment.NULL);
                return;
            }
            long id = ids.getAndIncrement();
            MemorySegment blob = Arena.ofAuto().allocate(Math.max(1, result.length));
            MemorySegment.copy(result, 0, blob, ValueLayout.JAVA_BYTE, 0, result.length);
            retained.put(id, blob);
            n.callModex.invokeExact(cbfunc, PmixAbi.SUCCESS, blob, (long) result.length, cbdata, releaseCallback,
                    MemorySegment.ofAddress(id));
        } catch (Throwable t) {
            System.err.println("sluice-pmix: error: completing a PMIx callback: " + t);
        }
    }

    private void completeOp(MemorySegment cbfunc, int status, MemorySegment cbdata) {
        try {
            if (!cbfunc.equals(MemorySegment.NULL)) {
                n.callOp.invokeExact(cbfunc, status, cbdata);
            }
        } catch (Throwable t) {
            System.err.println("sluice-pmix: error: completing a PMIx callback: " + t);
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            System.err.println("sluice-pmix: error: in PMIx host callback: " + t);
        }
    }

    static String rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    public static final class PmixException extends RuntimeException {
        private final int status;

        PmixException(int status, String call, String text) {
            super(call + " failed: " + text + " (" + status + ")");
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

}
