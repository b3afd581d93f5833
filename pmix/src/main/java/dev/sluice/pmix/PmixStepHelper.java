package dev.sluice.pmix;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The per-step, per-node PMIx helper: a process of its own (as slurmstepd is to slurmd) so that libpmix's one
 * server per process and any native fault stay out of the node agent. It serves one node of one step: initializes
 * the PMIx server, registers the step's namespace and this node's ranks, starts each rank with the environment
 * libpmix and Open MPI need, wires the nodes together over {@link StepChannel}, waits for the ranks and reports how
 * each ended.
 *
 * <p>Exit status: 0 if every local rank exited 0; the MPI_Abort code (at least 1) if a rank of the step aborted;
 * otherwise the highest rank exit status (128+signal for a killed rank); 2 for a setup error.
 * Messages on stderr start with {@code sluice-pmix:}; rank output goes to the helper's own stdout/stderr.
 */
public final class PmixStepHelper implements PmixHost, StepChannel.Handler {

    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration FINISH_WAIT = Duration.ofSeconds(30);

    private volatile HelperSpec spec;
    private String secret;
    private final Map<Integer, Process> ranks = new ConcurrentHashMap<>();
    private final AtomicReference<String> endCause = new AtomicReference<>();
    private volatile int abortStatus;
    private volatile boolean ranksDone;
    private static final boolean TIMING = System.getenv("SLUICE_PMIX_TIMING") != null;
    private static final long T0 = System.nanoTime();
    static {
        phase("main");
    }
    private StepChannel channel;
    private PmixServer server;
    /** PMIX_SERVER_TMPDIR, fixed at PMIx_server_init (a spare's, before its step's user is known). */
    private Path serverTmp;
    private static final int OWN_UID = ownUid();

    private PmixStepHelper() {
    }

    public static void main(String[] args) {
        int code;
        String where = "";
        try {
            if (args.length > 0 && args[0].equals("--prestart")) {
                code = prestarted(args);
            } else {
                HelperSpec spec = HelperSpec.parse(args);
                where = spec.nodeName() + ": ";
                PmixStepHelper helper = new PmixStepHelper();
                helper.initServer(spec.nodeName(), spec.workDir());
                code = helper.run(spec);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("sluice-pmix: error: " + where + e.getMessage());
            code = 2;
        } catch (Exception | Error e) {
            System.err.println("sluice-pmix: error: " + where + PmixServer.rootCause(e));
            code = 2;
        }
        System.out.flush();
        System.err.flush();
        // libpmix's own threads must not keep the helper alive, and its exit handlers have nothing left to do.
        PmixServer.exitNow(code);
    }

    /**
     * Warm mode: {@code --prestart --node-name N --work-dir D} does everything that does not depend on the step
     * (JVM start, FFM binding, PMIx_server_init: most of a cold helper's time), says {@code sluice-pmix: ready} on
     * stderr, then reads the step's arguments from stdin as one line, tab-separated, and serves that step. A node
     * agent keeps one such helper ready per node and starts the next when it hands one a step.
     */
    private static int prestarted(String[] args) throws Exception {
        if (args.length != 5 || !args[1].equals("--node-name") || !args[3].equals("--work-dir")) {
            throw new IllegalArgumentException("usage: --prestart --node-name NAME --work-dir DIR");
        }
        String nodeName = args[2];
        PmixStepHelper helper = new PmixStepHelper();
        helper.initServer(nodeName, Path.of(args[4]));
        helper.warmUp(nodeName, Path.of(args[4]));
        phase("warmed up");
        System.err.println("sluice-pmix: ready");
        System.err.flush();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isBlank()) {
            return 0; // the agent shut its spare helper down
        }
        phase("step received");
        String[] tokens = line.split("\t");
        if (tokens.length >= 2 && tokens[0].equals("--secret")) {
            // The pipe from the agent is private, unlike a command line: a prestarted helper learns its step's
            // secret here, since its environment was fixed before the step existed.
            helper.secret = tokens[1];
            tokens = java.util.Arrays.copyOfRange(tokens, 2, tokens.length);
        }
        HelperSpec spec = HelperSpec.parse(tokens);
        if (!spec.nodeName().equals(nodeName)) {
            throw new IllegalArgumentException("this helper serves node " + nodeName + ", the step says node "
                    + spec.nodeName());
        }
        helper.handOver(spec);
        return helper.run(spec);
    }

    /**
     * Runs every path a step takes once, on a throw-away namespace and {@code /bin/true}, so the step does not pay
     * for the JVM's first-use costs (FFM call linkage, process spawning, channel classes): under load these were
     * a few hundred milliseconds of a warm helper's launch time.
     */
    private void warmUp(String nodeName, Path workDir) throws Exception {
        String ns = "sluice.pmix.warmup";
        Map<String, PmixServer.Value> info = new LinkedHashMap<>();
        info.put("pmix.nmap", new PmixServer.Value.Str(nodeName));
        info.put("pmix.pmap", new PmixServer.Value.Str("0"));
        info.put("pmix.job.size", new PmixServer.Value.U32(1));
        info.put("pmix.lldr", new PmixServer.Value.Rank(0));
        info.put("pmix.spawned", new PmixServer.Value.Bool(false));
        server.registerNamespace(ns, 1, info);
        Map<String, String> env = server.registerClient(ns, 0, 0, 0);
        ProcessBuilder pb = new ProcessBuilder("/bin/true").redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        pb.start().onExit().thenApply(Process::exitValue).get(30, java.util.concurrent.TimeUnit.SECONDS);
        server.deregisterNamespace(ns);
        try (StepChannel c = StepChannel.leader(new InetSocketAddress("127.0.0.1", 0), 1, "", this)) {
            c.fence(new byte[0]).get();
        }
    }

    /**
     * A spare started as root before its step's user was known: the server's rendezvous directory (the server's
     * contact files and the ds21 shared-memory store the ranks read) was root's alone until now; it becomes the
     * step user's alone, so the ranks can reach it and no other user can. It was private to root (0700, in a
     * directory only root writes) until this point, so no link planted by a user can be followed here.
     */
    private void handOver(HelperSpec step) throws IOException {
        if (OWN_UID != 0 || step.uid() == 0 || serverTmp == null) {
            return;
        }
        try (var all = Files.walk(serverTmp)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.setAttribute(p, "unix:gid", step.gid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:uid", step.uid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        }
        java.nio.file.attribute.PosixFileAttributeView v = Files.getFileAttributeView(serverTmp,
                java.nio.file.attribute.PosixFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        v.setPermissions(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        phase("handed over");
    }

    private static int ownUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException | Error e) {
            return -1;
        }
    }

    /**
     * The ranks' directories below the step's work dir. A root helper creates only what is missing, and gives what
     * it created (never an existing path, which the user may have replaced by a link) to the step's user.
     */
    private Path rankDir(Path dir) throws IOException {
        if (OWN_UID != 0 || spec.uid() == 0) {
            return Files.createDirectories(dir);
        }
        try {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return dir;
        }
        Files.setAttribute(dir, "unix:gid", spec.gid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:uid", spec.uid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return dir;
    }

    private void initServer(String nodeName, Path workDir) throws IOException {
        serverTmp = Files.createDirectories(workDir.resolve("pmix"));
        // Ranks of another user cannot read root's shared-memory store: OpenPMIx's ds21 with the hash fallback can.
        // Set for every step because a prestarted server does not know its step's user yet.
        server = PmixServer.start(this, nodeName, serverTmp.toString(), Map.of("PMIX_MCA_gds", "ds21,hash"));
        phase("PMIx_server_init");
    }

    int run(HelperSpec step) throws Exception {
        this.spec = step;
        Path work = rankDir(spec.workDir());
        Path rankTmp = rankDir(work.resolve("tmp"));
        Path vader = rankDir(work.resolve("shm"));
        Map<Integer, RankLaunch.Entry> launches = spec.rankLaunch() == null ? Map.of()
                : RankLaunch.read(spec.rankLaunch());
        String secret = this.secret != null ? this.secret : System.getenv().getOrDefault(HelperSpec.SECRET_ENV, "");
        int nodes = spec.layout().nodeCount();
        if (spec.nodeIndex() == 0) {
            channel = StepChannel.leader(spec.channel(), nodes, secret, this);
            if (spec.addressFile() != null && nodes > 1) {
                InetSocketAddress a = channel.address();
                writeAtomically(spec.addressFile(), a.getHostString() + ":" + a.getPort() + "\n");
            }
        } else {
            channel = StepChannel.join(spec.channel(), spec.nodeIndex(), nodes, secret, JOIN_TIMEOUT, this);
        }
        phase("channel ready");
        List<Integer> local = spec.layout().localRanks(spec.nodeIndex());
        server.registerNamespace(spec.namespace(), local.size(), jobInfo(rankTmp));
        phase("namespace registered");

        Map<String, String> common = slurmEnv(rankTmp, vader);
        for (int rank : local) {
            Map<String, String> env = server.registerClient(spec.namespace(), rank, spec.uid(), spec.gid());
            RankLaunch.Entry launch = launches.get(rank);
            if (spec.rankLaunch() != null && launch == null) {
                throw new IllegalArgumentException(spec.rankLaunch() + " has no command line for task " + rank);
            }
            ProcessBuilder pb = new ProcessBuilder(launch != null ? launch.argv() : spec.command())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            Map<String, String> e = pb.environment();
            if (launch != null) {
                // the rank's environment is the step's, never the (root) helper's own
                e.clear();
                e.putAll(launch.env());
            }
            e.keySet().removeIf(k -> k.startsWith("PMIX_") || k.equals(HelperSpec.SECRET_ENV));
            e.putAll(common);
            e.putAll(env);
            e.put("SLURM_PROCID", String.valueOf(rank));
            e.put("SLURM_LOCALID", String.valueOf(local.indexOf(rank)));
            if (endCause.get() != null) {
                break; // another node aborted while we were starting
            }
            ranks.put(rank, pb.start());
            phase("rank " + rank + " started");
        }

        Map<Integer, Integer> exits = new LinkedHashMap<>();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (Map.Entry<Integer, Process> r : ranks.entrySet()) {
            waits.add(r.getValue().onExit().thenAccept(p -> rankEnded(r.getKey(), p.exitValue())));
        }
        if (endCause.get() != null) {
            killRanks();
        }
        phase("ranks started");
        CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).join();
        ranksDone = true;
        phase("ranks ended");
        for (int rank : local) {
            Process p = ranks.get(rank);
            if (p != null) {
                exits.put(rank, p.exitValue());
            }
        }
        channel.finish(FINISH_WAIT);
        phase("channel finished");
        report(exits);
        phase("done");
        // No PMIx_server_deregister_nspace here: the helper serves one step and exits now, which ends libpmix's
        // state with it (the call cost 15-25 ms of every launch). warmUp() shows the call order for a long-lived host.
        return exitCode(exits);
    }

    /** With SLUICE_PMIX_TIMING set, where the helper's time goes (for pmix/bench). */
    static void phase(String what) {
        if (TIMING) {
            System.err.printf("sluice-pmix: timing: %-22s %6.1f ms since main%n", what, (System.nanoTime() - T0) / 1e6);
        }
    }

    private Map<String, PmixServer.Value> jobInfo(Path rankTmp) {
        List<Integer> local = spec.layout().localRanks(spec.nodeIndex());
        int size = spec.layout().size();
        Map<String, PmixServer.Value> info = new LinkedHashMap<>();
        info.put("pmix.nmap", new PmixServer.Value.Str(String.join(",", spec.nodeNames()))); // PMIX_NODE_MAP
        info.put("pmix.pmap", new PmixServer.Value.Str(spec.procMap())); // PMIX_PROC_MAP
        info.put("pmix.jobid", new PmixServer.Value.Str(spec.jobId() + "." + spec.stepId())); // PMIX_JOBID
        info.put("pmix.job.size", new PmixServer.Value.U32(size)); // PMIX_JOB_SIZE
        info.put("pmix.univ.size", new PmixServer.Value.U32(size)); // PMIX_UNIV_SIZE
        info.put("pmix.max.size", new PmixServer.Value.U32(size)); // PMIX_MAX_PROCS
        info.put("pmix.local.size", new PmixServer.Value.U32(local.size())); // PMIX_LOCAL_SIZE
        info.put("pmix.node.size", new PmixServer.Value.U32(local.size())); // PMIX_NODE_SIZE
        info.put("pmix.lpeers", new PmixServer.Value.Str(String.join(",", local.stream().map(String::valueOf).toList()))); // PMIX_LOCAL_PEERS
        info.put("pmix.lldr", new PmixServer.Value.Rank(local.getFirst())); // PMIX_LOCALLDR
        info.put("pmix.nodeid", new PmixServer.Value.U32(spec.nodeIndex())); // PMIX_NODEID
        info.put("pmix.num.nodes", new PmixServer.Value.U32(spec.layout().nodeCount())); // PMIX_NUM_NODES
        info.put("pmix.tmpdir", new PmixServer.Value.Str(rankTmp.toString())); // PMIX_TMPDIR
        info.put("pmix.nsdir", new PmixServer.Value.Str(rankTmp.toString())); // PMIX_NSDIR
        info.put("pmix.spawned", new PmixServer.Value.Bool(false)); // PMIX_SPAWNED
        if (spec.uid() != 0) {
            info.put("pmix.euid", new PmixServer.Value.U32(spec.uid())); // PMIX_USERID
            info.put("pmix.egid", new PmixServer.Value.U32(spec.gid())); // PMIX_GRPID
        }
        return info;
    }

    /** What srun exports; Open MPI 4.1 accepts a direct launch only when SLURM_JOBID, SLURM_NODELIST and SLURM_STEP_ID are set. */
    private Map<String, String> slurmEnv(Path rankTmp, Path vader) {
        Map<String, String> e = new LinkedHashMap<>();
        String nodeList = String.join(",", spec.nodeNames());
        String size = String.valueOf(spec.layout().size());
        String nodes = String.valueOf(spec.layout().nodeCount());
        e.put("SLURM_JOBID", spec.jobId());
        e.put("SLURM_JOB_ID", spec.jobId());
        e.put("SLURM_STEP_ID", String.valueOf(spec.stepId()));
        e.put("SLURM_STEPID", String.valueOf(spec.stepId()));
        e.put("SLURM_NODELIST", nodeList);
        e.put("SLURM_STEP_NODELIST", nodeList);
        e.put("SLURM_NNODES", nodes);
        e.put("SLURM_STEP_NUM_NODES", nodes);
        e.put("SLURM_NTASKS", size);
        e.put("SLURM_NPROCS", size);
        e.put("SLURM_STEP_NUM_TASKS", size);
        e.put("SLURM_NODEID", String.valueOf(spec.nodeIndex()));
        e.put("SLURMD_NODENAME", spec.nodeName());
        e.put("SLURM_MPI_TYPE", "pmix");
        // Distinct per node, or several nodes on one host share Open MPI's session and shared-memory file names.
        e.put("TMPDIR", rankTmp.toString());
        e.put("OMPI_MCA_btl_vader_backing_directory", vader.toString());
        return e;
    }

    private void rankEnded(int rank, int exit) {
        if (exit != 0 && endCause.get() == null && abortStatus == 0) {
            String how = exit > 128 ? "was killed by signal " + (exit - 128) : "exited with code " + exit;
            if (endCause.compareAndSet(null, "task " + rank + " " + how)) {
                System.err.println("sluice-pmix: error: " + spec.nodeName() + ": task " + rank + ": " + how
                        + "; ending the step's other tasks");
                channel.abort(rank, exit, how);
                killRanks();
            }
        }
    }

    private void killRanks() {
        for (Process p : ranks.values()) {
            kill(p);
        }
    }

    /** A rank started through a supervising launcher is its child: killing only the launcher would leave it. */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private void report(Map<Integer, Integer> exits) {
        StringBuilder status = new StringBuilder();
        for (Map.Entry<Integer, Integer> e : exits.entrySet()) {
            int code = e.getValue();
            int signal = code > 128 ? code - 128 : 0;
            int exitCode = signal > 0 ? 0 : code;
            status.append("task=").append(e.getKey()).append(" exit_code=").append(exitCode).append(" signal=")
                    .append(signal).append('\n');
            if (code != 0) {
                System.err.println("sluice-pmix: " + spec.nodeName() + ": task " + e.getKey() + ": "
                        + (signal > 0 ? "Killed by signal " + signal : "Exited with exit code " + code));
            }
        }
        String cause = endCause.get();
        if (cause != null) {
            status.append("ended_by=").append(cause.replace(' ', '_').replace('\n', '_')).append('\n');
        }
        if (spec.statusFile() != null) {
            try {
                writeAtomically(spec.statusFile(), status.toString());
            } catch (IOException e) {
                System.err.println("sluice-pmix: error: cannot write " + spec.statusFile() + ": " + e.getMessage());
            }
        }
    }

    private int exitCode(Map<Integer, Integer> exits) {
        if (abortStatus != 0) {
            return abortStatus;
        }
        int worst = exits.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (worst == 0 && endCause.get() != null) {
            return 1;
        }
        return worst;
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    // ---- PmixHost (called on the PMIx callback thread, must not block) ----

    @Override
    public CompletableFuture<byte[]> fence(byte[] localBlob) {
        return channel.fence(localBlob);
    }

    @Override
    public CompletableFuture<byte[]> directModex(int rank) {
        return channel.directModex(spec.layout().nodeOf(rank), rank);
    }

    @Override
    public void abort(int rank, int status, String message) {
        int code = status == 0 ? 1 : status;
        String text = "task " + rank + " called MPI_Abort with exit code " + status;
        if (endCause.compareAndSet(null, text)) {
            abortStatus = code;
            System.err.println("sluice-pmix: error: " + spec.nodeName() + ": " + text
                    + (message == null || message.isBlank() || message.strip().equals("N/A") ? "" : ": " + message.strip()));
            channel.abort(rank, status, message == null ? "" : message);
            killRanksSoon(rank);
        }
    }

    /** The aborting rank is still inside PMIx_Abort until libpmix hears back; kill it and its peers right after. */
    private void killRanksSoon(int aborting) {
        Thread.ofPlatform().daemon().start(() -> {
            for (Map.Entry<Integer, Process> r : ranks.entrySet()) {
                if (r.getKey() != aborting) {
                    kill(r.getValue());
                }
            }
            Process self = ranks.get(aborting);
            if (self != null) {
                try {
                    if (!self.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) {
                        kill(self);
                    }
                } catch (InterruptedException e) {
                    kill(self);
                }
            }
        });
    }

    // ---- StepChannel.Handler ----

    @Override
    public CompletableFuture<byte[]> localModex(int rank) {
        return server.localModex(spec.namespace(), rank);
    }

    @Override
    public void remoteAbort(int node, int rank, int status, String message) {
        String text = "task " + rank + " on " + spec.nodeNames().get(node)
                + (message.startsWith("exited") || message.startsWith("was killed")
                        ? " " + message : " called MPI_Abort with exit code " + status);
        if (endCause.compareAndSet(null, text)) {
            abortStatus = message.startsWith("exited") || message.startsWith("was killed") ? 0 : (status == 0 ? 1 : status);
            System.err.println("sluice-pmix: error: " + spec.nodeName() + ": step aborted: " + text);
            killRanks();
        }
    }

    @Override
    public void broken(String why) {
        if (ranksDone) {
            return;
        }
        if (endCause.compareAndSet(null, why)) {
            System.err.println("sluice-pmix: error: " + spec.nodeName() + ": step aborted: " + why);
            killRanks();
        }
    }
}
