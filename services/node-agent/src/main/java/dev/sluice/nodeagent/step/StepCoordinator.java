package dev.sluice.nodeagent.step;

import dev.sluice.contracts.job.JobState;
import dev.sluice.nodeagent.launch.JobSupervisor;
import dev.sluice.pmi.TcpFenceExchange;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A step as the first node's agent runs it: plans the layout, starts every node's share (its own directly, the
 * others through their agents), merges their output and exits into the one stream srun reads, applies
 * --kill-on-bad-exit and MPI aborts to every node, and ends the stream with {@code finished}.
 */
public final class StepCoordinator {
    private static final Logger LOG = Logger.getLogger(StepCoordinator.class);
    public static final Set<String> MPI_PLUGINS = Set.of("none", "pmi2", "pmix");

    /** Where the step's events go: the NDJSON stream to srun. Called from many threads, one event at a time. */
    public interface Stream {
        void send(Map<String, Object> event);

        /** After {@code finished}: nothing more follows. */
        void close();
    }

    /** What a coordinator needs of its agent. */
    public record Env(JobSupervisor supervisor, RemoteAgents remotes, String mpiDefault, String clusterHost,
                      UnaryOperator<List<Integer>> physicalCpus, PartRegistry parts) {
    }

    /** Shares running on this node, for signals and job ends. */
    public interface PartRegistry {
        void add(PartRun part);

        void remove(PartRun part);

        /** This node's warm PMIx helpers, or null. */
        default PmixSpares spares() {
            return null;
        }
    }

    private final Env env;
    private final long jobId;
    private final int stepId;
    private final TaskLayout layout;
    private final StepRequest request;
    private final Stream out;
    private final Map<String, Object> parts = new ConcurrentHashMap<>();
    private final List<StepListener.PartResult> results = new ArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile String cancelled;
    private volatile String failure;
    private int remaining;
    private TcpFenceExchange.Leader leader;

    private StepCoordinator(Env env, long jobId, int stepId, TaskLayout layout, StepRequest request, Stream out) {
        this.env = env;
        this.jobId = jobId;
        this.stepId = stepId;
        this.layout = layout;
        this.request = request;
        this.out = out;
        this.remaining = layout.nodes().size();
    }

    public long jobId() {
        return jobId;
    }

    public int stepId() {
        return stepId;
    }

    /**
     * Validates and plans the step; nothing has been sent or started when this throws.
     *
     * @return a coordinator whose {@link #run()} starts the step
     */
    public static StepCoordinator create(Env env, long jobId, StepRequest request, Stream out) throws StepRejected {
        JobSupervisor.JobContext ctx = PartRun.job(env.supervisor(), jobId);
        if (ctx.member()) {
            throw StepRejected.unable(jobId, "steps are created through the agent of the job's first node ("
                    + ctx.launch().allocation().getFirst().node() + ")");
        }
        if (request.argv() == null || request.argv().isEmpty()) {
            throw new StepRejected(400, "srun: fatal: No command given to execute.");
        }
        String mpi = request.mpi() == null || request.mpi().isBlank() ? env.mpiDefault() : request.mpi();
        if (!MPI_PLUGINS.contains(mpi)) {
            throw new StepRejected(400, "srun: error: Couldn't find the specified plugin name for mpi/" + mpi
                    + " looking at all files");
        }
        if (mpi.equals("pmix")) {
            var why = PmixLaunch.unavailable();
            if (why.isPresent()) {
                throw new StepRejected(400, "srun: error: mpi/pmix is not available on node "
                        + env.supervisor().node() + ": " + why.get());
            }
        }
        TaskLayout layout = TaskLayout.plan(jobId, ctx.launch().allocation(), request);
        if (mpi.equals("pmix") && layout.nodes().size() > 1
                && !layout.nodes().getFirst().node().equals(env.supervisor().node())) {
            // node 0's helper opens the step's channel, and only a local one's address is known before the others start
            throw StepRejected.unable(jobId, "--mpi=pmix needs the job's first node (" + env.supervisor().node()
                    + ") as the step's first node");
        }
        List<String> limits = request.rlimits() != null ? ProcLimits.of(request.rlimits())
                : ctx.scriptPid().map(ProcLimits::of).orElse(List.of());
        int stepId = nextStepId(ctx.dir());
        return new StepCoordinator(env, jobId, stepId, layout, request.withMpi(mpi).withRlimits(null), out)
                .limits(limits);
    }

    private List<String> limits = List.of();

    private StepCoordinator limits(List<String> l) {
        this.limits = l;
        return this;
    }

    /** Step ids 0, 1, 2... per job: the first free {@code steps/<id>} directory, taken atomically. */
    static synchronized int nextStepId(Path jobDir) throws StepRejected {
        Path steps = jobDir.resolve("steps");
        try {
            Files.createDirectories(steps);
            for (int id = 0; ; id++) {
                try {
                    Files.createDirectory(steps.resolve(Integer.toString(id)));
                    return id;
                } catch (FileAlreadyExistsException e) {
                    // taken by an earlier step
                }
            }
        } catch (IOException e) {
            throw new StepRejected(500, "srun: error: cannot record the step in " + steps + ": " + e.getMessage());
        }
    }

    /** Starts every node's share and streams until the step ended; returns when {@code finished} was sent. */
    public void run() throws InterruptedException {
        String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        String leaderAddress = null;
        int n = layout.nodes().size();
        if (request.mpi().equals("pmi2") && n > 1) {
            try {
                leader = TcpFenceExchange.leader(new InetSocketAddress(InetAddress.getByName(env.clusterHost()), 0), n,
                        secret);
                leaderAddress = env.clusterHost() + ":" + leader.address().getPort();
            } catch (IOException e) {
                failure = "cannot open the PMI fence on " + env.supervisor().node() + ": " + e.getMessage();
            }
        }
        Map<String, Object> started = new LinkedHashMap<>();
        started.put("type", "started");
        started.put("stepId", stepId);
        started.put("nodes", dev.sluice.scheduler.core.config.Hostlist.compress(layout.nodeNames()));
        started.put("ntasks", layout.ntasks());
        started.put("tasksPerNode", layout.tasksPerNodeText());
        out.send(started);

        String token = env.supervisor().jobsToken(jobId).orElse(null);
        int masterPort = 29500 + (int) ((jobId * 16 + stepId) % 10000);
        for (TaskLayout.NodePart p : layout.nodes()) {
            PartSpec spec = new PartSpec(jobId, stepId, p.index(), layout.nodeNames(), layout.ranksByNode(),
                    layout.ntasks(), p.tasks(), request.argv(), request.env(), request.cwd(), request.mpi(),
                    env.clusterHost(), masterPort, limits, leaderAddress, secret);
            StepListener listener = listenerFor(p.node());
            if (failure != null) {
                listener.ended(new StepListener.PartResult(p.node(), JobState.FAILED, 1, 0,
                        dev.sluice.contracts.step.Usage.NONE, failure));
                continue;
            }
            try {
                if (p.node().equals(env.supervisor().node())) {
                    PartRun[] self = new PartRun[1];
                    self[0] = PartRun.start(env.supervisor(), spec, listener, leader, env.physicalCpus(),
                            () -> env.parts().remove(self[0]), env.parts().spares());
                    env.parts().add(self[0]);
                    parts.put(p.node(), self[0]);
                    if (request.mpi().equals("pmix") && p.index() == 0) {
                        leaderAddress = self[0].pmixAddress();
                    }
                } else {
                    parts.put(p.node(), env.remotes().start(p.node(), spec, token, listener));
                }
                if (cancelled != null || failure != null) {
                    // a share that started after the step was already ending goes too
                    cancelPart(p.node(), cancelled != null ? cancelled : "CANCELLED");
                }
            } catch (StepRejected e) {
                fail(e.getMessage().replaceFirst("^srun: error: ", ""));
                listener.ended(new StepListener.PartResult(p.node(), JobState.FAILED, 1, 0,
                        dev.sluice.contracts.step.Usage.NONE, e.getMessage()));
            }
        }
        done.await();
    }

    private StepListener listenerFor(String node) {
        return new StepListener() {
            @Override
            public void output(int task, boolean stderr, String data) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("type", stderr ? "err" : "out");
                e.put("task", task);
                e.put("data", data);
                out.send(e);
            }

            @Override
            public void exit(int task, String n, int exitCode, int signal) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("type", "exit");
                e.put("task", task);
                e.put("node", n);
                e.put("exitCode", exitCode);
                e.put("signal", signal);
                out.send(e);
                if (request.killsOnBadExit() && (exitCode != 0 || signal != 0) && cancelled == null) {
                    fail("task " + task + " on " + n + (signal != 0 ? " was killed by signal " + signal
                            : " exited with exit code " + exitCode) + " (--kill-on-bad-exit)");
                }
            }

            @Override
            public void abort(String detail) {
                fail(detail);
            }

            @Override
            public void ended(PartResult result) {
                partEnded(result);
            }
        };
    }

    /** Ends the step FAILED for {@code why}: every node's share is killed. */
    private void fail(String why) {
        synchronized (this) {
            if (failure != null || cancelled != null) {
                return;
            }
            failure = why;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "error");
        e.put("message", why);
        out.send(e);
        parts.keySet().forEach(n -> cancelPart(n, "FAILED"));
    }

    /** Ends the step now (srun went away, the job ended): every node's share is killed. */
    public void cancel(String state) {
        synchronized (this) {
            if (cancelled != null) {
                return;
            }
            cancelled = state;
        }
        parts.keySet().forEach(n -> cancelPart(n, state));
    }

    private void cancelPart(String node, String state) {
        Object p = parts.get(node);
        try {
            if (p instanceof PartRun run) {
                run.cancel(state);
            } else if (p instanceof RemoteAgents.RemotePart remote) {
                remote.cancel(state);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Could not end the share of step %d.%d on %s: %s", jobId, stepId, node, e.toString());
        }
    }

    /** srun forwards a signal: every task on every node gets it. TERM, INT, HUP and KILL end the step CANCELLED. */
    public void signal(String sig) {
        if (Set.of("TERM", "INT", "HUP", "KILL").contains(sig) && cancelled == null && failure == null) {
            cancelled = "CANCELLED";
        }
        for (Object p : parts.values()) {
            if (p instanceof PartRun run) {
                run.signal(sig);
            } else if (p instanceof RemoteAgents.RemotePart remote) {
                remote.signal(sig);
            }
        }
    }

    private void partEnded(StepListener.PartResult result) {
        boolean last;
        synchronized (this) {
            results.add(result);
            last = --remaining == 0;
        }
        if (!last) {
            return;
        }
        if (leader != null) {
            leader.close();
        }
        int exit = results.stream().mapToInt(StepListener.PartResult::exitCode).max().orElse(0);
        int sig = results.stream().mapToInt(StepListener.PartResult::signal).max().orElse(0);
        JobState state;
        String detail = null;
        if (failure != null) {
            state = JobState.FAILED;
            detail = failure;
            exit = Math.max(exit, 1);
        } else if (cancelled != null) {
            state = JobState.parse(cancelled);
        } else if (results.stream().anyMatch(r -> r.state() == JobState.OUT_OF_MEMORY)) {
            state = JobState.OUT_OF_MEMORY;
            detail = results.stream().filter(r -> r.state() == JobState.OUT_OF_MEMORY).findFirst().get().detail();
        } else {
            var bad = results.stream().filter(r -> r.state() != JobState.COMPLETED).findFirst();
            state = bad.isPresent() ? JobState.FAILED : JobState.COMPLETED;
            detail = bad.map(StepListener.PartResult::detail).orElse(null);
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "finished");
        e.put("stepId", stepId);
        e.put("state", state.name());
        e.put("exitCode", exit);
        e.put("signal", sig);
        e.put("detail", detail);
        try {
            out.send(e);
            out.close();
        } finally {
            done.countDown();
        }
    }

    public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return done.await(timeout, unit);
    }
}
