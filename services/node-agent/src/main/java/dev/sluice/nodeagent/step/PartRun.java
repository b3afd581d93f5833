package dev.sluice.nodeagent.step;

import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.contracts.step.Usage;
import dev.sluice.launcher.StepLaunch;
import dev.sluice.launcher.StepStatus;
import dev.sluice.nodeagent.cgroup.JobCgroup;
import dev.sluice.nodeagent.launch.JobSupervisor;
import dev.sluice.nodeagent.launch.ProcFs;
import dev.sluice.pmi.FenceExchange;
import dev.sluice.pmi.PmiListener;
import dev.sluice.pmi.RankFailure;
import dev.sluice.pmi.SimplePmiServer;
import dev.sluice.pmi.StepLayout;
import dev.sluice.pmi.TcpFenceExchange;
import dev.sluice.scheduler.core.config.Hostlist;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * This node's share of a step: one sluice-stepd per task (the job's user, the task's own CPUs, a {@code step_<id>}
 * cgroup below the job's, the per-task environment of docs/steps.md), output and exits reported as they happen,
 * StepStarted/StepFinished published for this node's part. With {@code --mpi=pmi2} it hosts the node's PMI server.
 */
public final class PartRun {
    private static final Logger LOG = Logger.getLogger(PartRun.class);

    private final JobSupervisor supervisor;
    private final JobSupervisor.JobContext ctx;
    private final PartSpec spec;
    private final StepListener listener;
    private final String node;
    private final List<TaskProc> tasks = new ArrayList<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private JobCgroup stepCgroup = JobCgroup.NONE;
    private Path stepDir;
    private long oomBefore;
    private SimplePmiServer pmi;
    private FenceExchange fence;
    private volatile String cancelled;
    private volatile String abortDetail;
    private volatile String pmixFirstBad;
    private Path pmixWork;
    private Path pmixStatusFile;
    private Path pmixAddressFile;
    /** --mpi=pmix through a warm spare helper (root): ranks started through sluice-stepd, one per rank */
    private PmixSpares.Spare spare;
    private volatile String pmixAddress;
    private Runnable onEnd = () -> {
    };
    private PmixSpares spares;

    private static final class TaskProc {
        final TaskLayout.Task task;
        Process process;
        final List<Thread> pumps = new ArrayList<>();
        volatile StepStatus status;
        volatile int exitCode;
        volatile int signal;
        volatile boolean exited;
        /** --mpi=pmix: this process is the node's PMIx helper, running all of {@code spec.tasks()} */
        boolean pmixHelper;
        /** ... a warm spare: not a sluice-stepd, each rank has its own (pid and status files per rank) */
        boolean warm;

        TaskProc(TaskLayout.Task task) {
            this.task = task;
        }
    }

    private PartRun(JobSupervisor supervisor, JobSupervisor.JobContext ctx, PartSpec spec, StepListener listener) {
        this.supervisor = supervisor;
        this.ctx = ctx;
        this.spec = spec;
        this.listener = listener;
        this.node = supervisor.node();
    }

    /** The job, if it runs here and may take steps; the reason in Slurm's words otherwise. */
    static JobSupervisor.JobContext job(JobSupervisor supervisor, long jobId) throws StepRejected {
        JobSupervisor.JobContext ctx = supervisor.context(jobId).orElseThrow(() -> new StepRejected(404,
                "srun: error: Unable to create step for job " + jobId + ": Invalid job id specified"));
        if (ctx.failure() != null) {
            throw StepRejected.unable(jobId, "node " + supervisor.node() + ": " + ctx.failure());
        }
        return ctx;
    }

    /**
     * @param leaderFence node 0 of a multi-node pmi2 step: the fence leader the coordinator created, else null
     * @param physicalCpus maps the layout's CPU ids to the CPUs tasks are bound to (virtual CPUs)
     */
    public static PartRun start(JobSupervisor supervisor, PartSpec spec, StepListener listener,
                                FenceExchange leaderFence, UnaryOperator<List<Integer>> physicalCpus,
                                Runnable onEnd) throws StepRejected {
        return start(supervisor, spec, listener, leaderFence, physicalCpus, onEnd, null);
    }

    /** @param spares this node's warm PMIx helpers (null: a --mpi=pmix share starts a cold one) */
    public static PartRun start(JobSupervisor supervisor, PartSpec spec, StepListener listener,
                                FenceExchange leaderFence, UnaryOperator<List<Integer>> physicalCpus,
                                Runnable onEnd, PmixSpares spares) throws StepRejected {
        JobSupervisor.JobContext ctx = job(supervisor, spec.jobId());
        PartRun run = new PartRun(supervisor, ctx, spec, listener);
        run.onEnd = onEnd;
        run.spares = spares;
        try {
            run.launch(leaderFence, physicalCpus);
        } catch (StepRejected | RuntimeException e) {
            run.cancel("FAILED");
            run.cleanUp();
            throw e instanceof StepRejected r ? r : StepRejected.unable(spec.jobId(), String.valueOf(e.getMessage()));
        }
        return run;
    }

    public long jobId() {
        return spec.jobId();
    }

    public int stepId() {
        return spec.stepId();
    }

    private void launch(FenceExchange leaderFence, UnaryOperator<List<Integer>> physicalCpus) throws StepRejected {
        long jobId = spec.jobId();
        Owner owner = ctx.launch().owner();
        try {
            stepDir = ctx.dir().resolve("steps").resolve(Integer.toString(spec.stepId()));
            Files.createDirectories(stepDir);
            stepCgroup = ctx.cgroup().child("step_" + spec.stepId());
        } catch (IOException e) {
            throw StepRejected.unable(jobId, "node " + node + ": cannot set up the step: " + e.getMessage());
        }
        oomBefore = ctx.cgroup().oomKills();
        boolean mpiTmp = spec.mpi() != null && !spec.mpi().equals("none");
        Path tmp = stepDir.resolve("tmp");
        if (mpiTmp) {
            try {
                Files.createDirectories(tmp);
                if (owner != null && supervisor.runsAsRoot()) {
                    Files.setAttribute(tmp, "unix:gid", owner.gid());
                    Files.setAttribute(tmp, "unix:uid", owner.uid());
                }
            } catch (IOException e) {
                throw StepRejected.unable(jobId, "node " + node + ": cannot create " + tmp + ": " + e.getMessage());
            }
        }
        if ("pmi2".equals(spec.mpi())) {
            startPmi(leaderFence);
        }
        NodeAllocation mine = ctx.launch().allocation() == null ? null : ctx.launch().allocation().stream()
                .filter(a -> node.equals(a.node())).findFirst().orElse(null);
        List<Integer> nodeGpus = mine == null || mine.gpus() == null ? List.of() : mine.gpus();
        String cwd = spec.cwd() != null && !spec.cwd().isBlank() ? spec.cwd()
                : ctx.launch().spec() != null && ctx.launch().spec().workDir() != null ? ctx.launch().spec().workDir()
                : "/";
        List<StepLaunch.Rlimit> rlimits = new ArrayList<>(supervisor.settings().rlimits());
        for (String r : spec.rlimits() == null ? List.<String>of() : spec.rlimits()) {
            try {
                rlimits.add(StepLaunch.Rlimit.parse(r));
            } catch (IllegalArgumentException e) {
                LOG.debugf("Ignoring limit %s: %s", r, e.getMessage());
            }
        }
        boolean pmix = "pmix".equals(spec.mpi()) && !spec.tasks().isEmpty();
        if (pmix) {
            pmixWork = stepDir.resolve("pmix-node");
            try {
                // the ranks' TMPDIR and Open MPI's backing files, made here so a root helper never creates
                // anything below a directory the user owns
                for (Path d : List.of(pmixWork, pmixWork.resolve("tmp"), pmixWork.resolve("shm"))) {
                    Files.createDirectories(d);
                    if (owner != null && supervisor.runsAsRoot()) {
                        Files.setAttribute(d, "unix:gid", owner.gid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
                        Files.setAttribute(d, "unix:uid", owner.uid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    }
                }
            } catch (IOException e) {
                throw StepRejected.unable(jobId, "node " + node + ": cannot create " + pmixWork + ": " + e.getMessage());
            }
            pmixStatusFile = pmixWork.resolve("status");
            pmixAddressFile = pmixWork.resolve("channel.address");
            spare = spares == null ? null : spares.take().orElse(null);
        }
        if (spare != null) {
            startWarmPmix(cwd, rlimits, nodeGpus, tmp, physicalCpus);
        }
        for (TaskLayout.Task t : spare != null ? List.<TaskLayout.Task>of()
                : pmix ? spec.tasks().subList(0, 1) : spec.tasks()) {
            TaskProc proc = new TaskProc(t);
            Map<String, String> env = environment(t, nodeGpus);
            List<String> argv = spec.argv();
            if (pmix) {
                // the helper sets each rank's own SLURM_PROCID/LOCALID; what is per-task here must not reach them
                proc.pmixHelper = true;
                for (String k : List.of("SLURM_PROCID", "SLURM_LOCALID", "RANK", "LOCAL_RANK", "SLURM_STEP_GPUS",
                        "CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL")) {
                    env.remove(k);
                }
                env.put("SLURM_MPI_TYPE", "pmix");
                oversubscribed(env, physicalCpus);
                env.put(dev.sluice.pmix.HelperSpec.SECRET_ENV, spec.pmiSecret());
                int uid = owner != null && supervisor.runsAsRoot() ? owner.uid() : PmixLaunch.selfId("uid");
                int gid = owner != null && supervisor.runsAsRoot() ? owner.gid() : PmixLaunch.selfId("gid");
                try {
                    argv = PmixLaunch.command(PmixLaunch.stageClasspath(stepDir),
                            PmixLaunch.spec(spec, uid, gid, pmixWork, spec.masterAddr()));
                } catch (IOException | RuntimeException e) {
                    throw StepRejected.unable(jobId, "node " + node + ": cannot prepare the PMIx helper: "
                            + e.getMessage());
                }
            }
            if (mpiTmp) {
                env.put("TMPDIR", tmp.toString());
                env.put("OMPI_MCA_btl_vader_backing_directory", tmp.toString());
            }
            if (pmi != null) {
                env.putAll(pmi.environmentFor(t.rank()));
                env.put("SLURM_MPI_TYPE", "pmi2");
            }
            StepLaunch.Builder b = StepLaunch.builder(argv)
                    .environment(env)
                    .workDir(Path.of(cwd))
                    .stdin(Path.of("/dev/null"))
                    .setsid(true)
                    .statusFile(stepDir.resolve("task-" + t.rank() + ".status"))
                    .pidFile(stepDir.resolve("task-" + t.rank() + ".pid"));
            // the helper's ranks inherit its CPU set: the union of this node's tasks' CPUs
            List<Integer> cpus = physicalCpus.apply(pmix ? spec.tasks().stream().flatMap(x -> x.cpus().stream())
                    .distinct().sorted().toList() : t.cpus());
            if (!cpus.isEmpty()) {
                b.cpus(cpus);
            }
            if (owner != null && supervisor.runsAsRoot()) {
                b.user(owner.uid(), owner.gid(), ctx.groups());
            }
            stepCgroup.procsFiles().forEach(b::cgroupProcs);
            rlimits.forEach(b::rlimit);
            try {
                proc.process = supervisor.settings().launcher().processBuilder(b.build())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .start();
            } catch (IOException | IllegalArgumentException e) {
                throw StepRejected.unable(jobId, "node " + node + ": cannot start task " + t.rank() + ": "
                        + e.getMessage());
            }
            tasks.add(proc);
            proc.pumps.add(pump(proc, proc.process.getInputStream(), false));
            proc.pumps.add(pump(proc, proc.process.getErrorStream(), true));
        }
        if (pmix && spec.nodeIndex() == 0 && spec.stepNodes().size() > 1) {
            pmixAddress = awaitPmixAddress(tasks.getFirst());
        }
        try {
            supervisor.sink().started(new StepStarted(jobId, Integer.toString(spec.stepId()), node, Instant.now(),
                    tasks.isEmpty() ? 0 : tasks.getFirst().process.pid()));
        } catch (Exception e) {
            LOG.warnf("Could not publish StepStarted for step %d.%d: %s", jobId, spec.stepId(), e.toString());
        }
        for (TaskProc proc : tasks) {
            Thread waiter = new Thread(() -> waitFor(proc), "sluice-step-" + jobId + "." + spec.stepId() + "-"
                    + proc.task.rank());
            waiter.setDaemon(true);
            waiter.start();
        }
        if (tasks.isEmpty()) {
            finish();
        }
    }

    /**
     * --mpi=pmix through this node's warm spare helper: every rank gets a sluice-stepd command line of its own (the
     * job's user and groups, the step's cgroup, the rank's own CPUs, the limits, the step's environment: exactly
     * what a non-MPI task gets) in a file only the agent can write; the spare reads the step from its stdin, hosts
     * the PMIx server, and execs each rank through that command line.
     */
    private void startWarmPmix(String cwd, List<StepLaunch.Rlimit> rlimits, List<Integer> nodeGpus, Path tmp,
                               UnaryOperator<List<Integer>> physicalCpus) throws StepRejected {
        long jobId = spec.jobId();
        Owner owner = ctx.launch().owner();
        boolean asUser = owner != null && supervisor.runsAsRoot();
        int uid = asUser ? owner.uid() : PmixLaunch.selfId("uid");
        int gid = asUser ? owner.gid() : PmixLaunch.selfId("gid");
        Map<Integer, dev.sluice.pmix.RankLaunch.Entry> ranks = new LinkedHashMap<>();
        for (TaskLayout.Task t : spec.tasks()) {
            Map<String, String> env = environment(t, nodeGpus);
            env.put("SLURM_MPI_TYPE", "pmix");
            oversubscribed(env, physicalCpus);
            env.put("TMPDIR", tmp.toString());
            env.put("OMPI_MCA_btl_vader_backing_directory", tmp.toString());
            StepLaunch.Builder b = StepLaunch.builder(spec.argv())
                    .environment(env)
                    .workDir(Path.of(cwd))
                    .stdin(Path.of("/dev/null"))
                    .setsid(true)
                    .statusFile(stepDir.resolve("task-" + t.rank() + ".status"))
                    .pidFile(stepDir.resolve("task-" + t.rank() + ".pid"));
            List<Integer> cpus = physicalCpus.apply(t.cpus());
            if (!cpus.isEmpty()) {
                b.cpus(cpus);
            }
            if (asUser) {
                b.user(owner.uid(), owner.gid(), ctx.groups());
            }
            stepCgroup.procsFiles().forEach(b::cgroupProcs);
            rlimits.forEach(b::rlimit);
            StepLaunch launch = b.build();
            ranks.put(t.rank(), new dev.sluice.pmix.RankLaunch.Entry(
                    supervisor.settings().launcher().command(launch), launch.environment()));
        }
        TaskProc proc = new TaskProc(spec.tasks().getFirst());
        proc.pmixHelper = true;
        proc.warm = true;
        proc.process = spare.process();
        pmixStatusFile = spare.dir().resolve("status");
        pmixAddressFile = spare.dir().resolve("channel.address");
        try {
            Path file = spare.dir().resolve("ranks");
            dev.sluice.pmix.RankLaunch.write(file, ranks);
            dev.sluice.pmix.HelperSpec h = PmixLaunch.spec(spec, uid, gid, pmixWork, spare.dir(), spec.masterAddr());
            // the program and its arguments travel in the rank launch file; the line names the program only
            h = new dev.sluice.pmix.HelperSpec(h.jobId(), h.stepId(), h.nodeNames(), h.layout(), h.nodeIndex(),
                    h.channel(), h.uid(), h.gid(), h.workDir(), h.addressFile(), h.statusFile(),
                    List.of(spec.argv().getFirst().replaceAll("[\\t\\n]", " ")), file);
            String line = "--secret\t" + spec.pmiSecret() + "\t" + String.join("\t", h.toArgs()) + "\n";
            if (line.chars().filter(c -> c == '\n').count() != 1) {
                throw new IllegalArgumentException("a node name or path holds a line break");
            }
            tasks.add(proc);
            proc.pumps.add(pump(proc, proc.process.getInputStream(), false));
            proc.pumps.add(pump(proc, proc.process.getErrorStream(), true));
            try (var in = proc.process.getOutputStream()) {
                in.write(line.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            proc.process.destroyForcibly();
            throw StepRejected.unable(jobId, "node " + node + ": cannot hand the step to the PMIx helper: "
                    + e.getMessage());
        }
    }

    /**
     * More ranks than real CPUs under them (virtual CPUs on a small host): Open MPI's ranks would busy-poll against
     * each other on the shared CPUs. mpirun sets the same yield for an oversubscribed launch; a user's own value wins.
     */
    private void oversubscribed(Map<String, String> env, UnaryOperator<List<Integer>> physicalCpus) {
        long real = physicalCpus.apply(spec.tasks().stream().flatMap(x -> x.cpus().stream()).distinct().toList())
                .stream().distinct().count();
        if (real > 0 && spec.tasks().size() > real) {
            env.putIfAbsent("OMPI_MCA_mpi_yield_when_idle", "1");
        }
    }

    /** A warm helper's ranks each have a sluice-stepd status file: their usage summed, as one task tree's would be. */
    private Optional<StepStatus> ranksUsage() {
        long user = 0;
        long sys = 0;
        long rss = 0;
        boolean any = false;
        for (TaskLayout.Task t : spec.tasks()) {
            Optional<StepStatus> st = readStatus(t.rank());
            if (st.isPresent()) {
                any = true;
                user += st.get().userMs();
                sys += st.get().systemMs();
                rss = Math.max(rss, st.get().maxRssKb());
            }
        }
        return any ? Optional.of(new StepStatus(0, 0, user, sys, rss, Optional.empty())) : Optional.empty();
    }

    /** Node 0's helper writes its channel's {@code host:port} once listening; the other nodes need it. */
    private String awaitPmixAddress(TaskProc helper) throws StepRejected {
        Path file = pmixAddressFile;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            try {
                String a = Files.readString(file).trim();
                if (!a.isEmpty()) {
                    return a;
                }
            } catch (IOException e) {
                // not written yet
            }
            if (!helper.process.isAlive()) {
                break;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw StepRejected.unable(spec.jobId(), "node " + node + ": the PMIx helper did not open the step's channel");
    }

    /** --mpi=pmix on node 0: the address of its helper's channel ({@code host:port}), for the other nodes. */
    public String pmixAddress() {
        return pmixAddress;
    }

    private void startPmi(FenceExchange leaderFence) throws StepRejected {
        StepLayout layout = new StepLayout("sluice." + spec.jobId() + "." + spec.stepId(), spec.ranksByNode());
        try {
            if (spec.stepNodes().size() > 1) {
                if (spec.nodeIndex() == 0) {
                    fence = leaderFence;
                } else {
                    String[] hp = spec.pmiLeader().split(":(?=[0-9]+$)");
                    fence = TcpFenceExchange.join(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])),
                            spec.nodeIndex(), spec.stepNodes().size(), spec.pmiSecret(), Duration.ofSeconds(30));
                }
            }
            SimplePmiServer.Builder b = SimplePmiServer.builder(layout, spec.nodeIndex()).listener(new PmiListener() {
                @Override
                public void rankFailed(RankFailure failure) {
                    abort(failure.kind() == RankFailure.Kind.ABORT
                            ? "task " + failure.rank() + " on " + node + " called MPI_Abort with exit code "
                            + failure.exitCode()
                            : failure.describe() + " on " + node);
                }

                @Override
                public void fenceFailed(Throwable cause) {
                    abort("the PMI exchange between the step's nodes failed on " + node + ": " + cause.getMessage());
                }
            });
            if (fence != null) {
                b.fence(fence);
            }
            pmi = b.start();
        } catch (IOException | RuntimeException e) {
            throw StepRejected.unable(spec.jobId(), "node " + node + ": cannot start the PMI server: " + e.getMessage());
        }
    }

    private Map<String, String> environment(TaskLayout.Task t, List<Integer> nodeGpus) {
        Map<String, String> env = new LinkedHashMap<>();
        if (spec.env() == null || spec.env().isEmpty()) {
            supervisor.settings().baseEnv().forEach((k, v) -> {
                if (!k.startsWith("SLURM")) {
                    env.put(k, v);
                }
            });
        } else {
            env.putAll(spec.env());
        }
        // a token or PMI variables of srun's own surroundings must not leak into the tasks
        env.keySet().removeIf(k -> k.startsWith("PMI_") || k.startsWith("PMIX_"));
        String jobId = Long.toString(spec.jobId());
        String stepId = Integer.toString(spec.stepId());
        String ntasks = Integer.toString(spec.ntasks());
        String nodes = Integer.toString(spec.stepNodes().size());
        String nodelist = Hostlist.compress(spec.stepNodes());
        String perNode = perNode(spec.ranksByNode());
        int local = spec.tasks().size();
        env.put("SLURM_JOB_ID", jobId);
        env.put("SLURM_JOBID", jobId);
        env.put("SLURM_STEP_ID", stepId);
        env.put("SLURM_STEPID", stepId);
        env.put("SLURM_PROCID", Integer.toString(t.rank()));
        env.put("SLURM_LOCALID", Integer.toString(t.localId()));
        env.put("SLURM_NODEID", Integer.toString(spec.nodeIndex()));
        env.put("SLURM_NTASKS", ntasks);
        env.put("SLURM_NPROCS", ntasks);
        env.put("SLURM_STEP_NUM_TASKS", ntasks);
        env.put("SLURM_NNODES", nodes);
        env.put("SLURM_STEP_NUM_NODES", nodes);
        env.put("SLURM_NODELIST", nodelist);
        env.put("SLURM_STEP_NODELIST", nodelist);
        env.put("SLURM_TASKS_PER_NODE", perNode);
        env.put("SLURM_STEP_TASKS_PER_NODE", perNode);
        env.put("SLURMD_NODENAME", node);
        env.put("SLURM_CPU_BIND", t.cpus().isEmpty() ? "none"
                : "quiet,map_cpu:" + t.cpus().stream().map(String::valueOf).collect(Collectors.joining(",")));
        if (ctx.token() != null) {
            env.put("SLUICE_JOB_TOKEN", ctx.token());
        }
        supervisor.agentAddress().ifPresent(a -> env.put("SLUICE_NODE_AGENT", a));
        if (!t.gpus().isEmpty()) {
            String global = t.gpus().stream().map(String::valueOf).collect(Collectors.joining(","));
            String visible = ctx.constrainsDevices()
                    ? t.gpus().stream().map(g -> Integer.toString(nodeGpus.indexOf(g))).collect(Collectors.joining(","))
                    : global;
            env.put("SLURM_STEP_GPUS", global);
            env.put("CUDA_VISIBLE_DEVICES", visible);
            env.put("GPU_DEVICE_ORDINAL", visible);
        }
        if (spec.ntasks() > 1) {
            env.put("MASTER_ADDR", spec.masterAddr());
            env.put("MASTER_PORT", Integer.toString(spec.masterPort()));
            env.put("WORLD_SIZE", ntasks);
            env.put("RANK", Integer.toString(t.rank()));
            env.put("LOCAL_RANK", Integer.toString(t.localId()));
            env.put("LOCAL_WORLD_SIZE", Integer.toString(local));
        }
        return env;
    }

    static String perNode(List<List<Integer>> ranksByNode) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < ranksByNode.size()) {
            int n = ranksByNode.get(i).size();
            int run = 1;
            while (i + run < ranksByNode.size() && ranksByNode.get(i + run).size() == n) {
                run++;
            }
            parts.add(run == 1 ? Integer.toString(n) : n + "(x" + run + ")");
            i += run;
        }
        return String.join(",", parts);
    }

    private Thread pump(TaskProc proc, InputStream in, boolean stderr) {
        Thread t = new Thread(() -> {
            char[] buf = new char[8192];
            StringBuilder line = new StringBuilder();
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                int n;
                while ((n = r.read(buf)) > 0) {
                    String text = new String(buf, 0, n);
                    if (proc.pmixHelper && stderr) {
                        helperErrors(line, text);
                    }
                    listener.output(proc.task.rank(), stderr, text);
                }
            } catch (IOException e) {
                // the pipe closed under us: the task is gone
            } catch (RuntimeException e) {
                LOG.debugf("Output of task %d not relayed: %s", proc.task.rank(), e.toString());
            }
        }, "sluice-step-out");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** The helper reports an abort or a failed rank on its stderr: that ends the step FAILED, naming the rank. */
    private void helperErrors(StringBuilder line, String text) {
        for (char c : text.toCharArray()) {
            if (c != '\n') {
                if (line.length() < 4096) {
                    line.append(c);
                }
                continue;
            }
            String detail = PmixLaunch.errorDetail(line.toString());
            line.setLength(0);
            if (detail != null) {
                abort(detail);
            }
        }
    }

    /** The helper's status file: one exit per local rank; without one (killed), every rank ends as the helper did. */
    private void pmixExits(TaskProc proc) {
        Map<Integer, int[]> status = PmixLaunch.readStatus(pmixStatusFile);
        int exit = proc.exitCode;
        int sig = proc.signal;
        for (TaskLayout.Task t : spec.tasks()) {
            int[] s = status.getOrDefault(t.rank(), new int[]{proc.exitCode, proc.signal});
            exit = Math.max(exit, s[0]);
            sig = Math.max(sig, s[1]);
            if (pmixFirstBad == null && (s[0] != 0 || s[1] != 0)) {
                pmixFirstBad = "task " + t.rank() + " on " + node + (s[1] != 0 ? " was killed by signal " + s[1]
                        : " exited with exit code " + s[0]);
            }
            listener.exit(t.rank(), node, s[0], s[1]);
        }
        proc.exitCode = exit;
        proc.signal = sig;
    }

    private void waitFor(TaskProc proc) {
        try {
            int rc = proc.process.waitFor();
            for (Thread p : proc.pumps) {
                // a child of the task may still hold the pipe: its output keeps flowing until the part ends
                p.join(1000);
            }
            Optional<StepStatus> status = proc.warm ? ranksUsage() : readStatus(proc.task.rank());
            if (proc.warm) {
                proc.status = status.orElse(null);
                proc.exitCode = rc > 128 ? 0 : rc;
                proc.signal = rc > 128 ? rc - 128 : 0;
            } else if (status.isPresent()) {
                proc.status = status.get();
                proc.exitCode = status.get().exitCode();
                proc.signal = status.get().signal();
            } else {
                proc.exitCode = rc > 128 ? 0 : rc;
                proc.signal = rc > 128 ? rc - 128 : 0;
            }
            proc.exited = true;
            if (proc.pmixHelper) {
                pmixExits(proc);
            } else {
                listener.exit(proc.task.rank(), node, proc.exitCode, proc.signal);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warnf(e, "Watching task %d of step %d.%d failed", proc.task.rank(), spec.jobId(), spec.stepId());
            proc.exited = true;
        }
        if (tasks.stream().allMatch(p -> p.exited)) {
            finish();
        }
    }

    private Optional<StepStatus> readStatus(int rank) {
        try {
            String text = Files.readString(stepDir.resolve("task-" + rank + ".status")).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(StepStatus.parse(text));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void abort(String detail) {
        if (abortDetail == null) {
            abortDetail = detail;
            LOG.infof("Step %d.%d on %s: %s", spec.jobId(), spec.stepId(), node, detail);
            listener.abort(detail);
        }
    }

    /**
     * Sends a signal to every task of this share. TERM, INT, HUP, USR1, USR2 and CONT go to each sluice-stepd,
     * which forwards them to its task's process group; KILL kills everything in the step's cgroup.
     */
    public void signal(String sig) {
        for (TaskProc p : tasks) {
            if (p.process == null || p.exited) {
                continue;
            }
            if (p.warm) {
                signalWarmRanks(p, sig);
                continue;
            }
            switch (sig) {
                case "TERM", "INT", "HUP", "USR1", "USR2", "CONT" -> ProcFs.signal(p.process.pid(), sig);
                case "KILL" -> {
                    taskPid(p).ifPresent(pid -> ProcFs.signalGroup(pid, "KILL"));
                    if (stepCgroup.procsFiles().isEmpty()) {
                        ProcFs.descendants(p.process.pid()).forEach(ProcessHandle::destroyForcibly);
                    }
                }
                default -> taskPid(p).ifPresent(pid -> ProcFs.signalGroup(pid, sig));
            }
        }
        if (sig.equals("KILL")) {
            stepCgroup.killAll();
        }
    }

    /**
     * A warm helper runs as root and is not a sluice-stepd: the signal goes to each rank's process group (its pid
     * file, written by its own sluice-stepd); the helper sees its ranks end and reports them. A helper that is
     * still there seconds after a KILL (stuck on a lost node) is killed too.
     */
    private void signalWarmRanks(TaskProc p, String sig) {
        for (TaskLayout.Task t : spec.tasks()) {
            try {
                long pid = Long.parseLong(Files.readString(stepDir.resolve("task-" + t.rank() + ".pid")).trim());
                ProcFs.signalGroup(pid, sig);
            } catch (IOException | NumberFormatException e) {
                // not started yet, or already gone
            }
        }
        if (sig.equals("KILL")) {
            stepCgroup.killAll();
            Process helper = p.process;
            helper.onExit().completeOnTimeout(helper, 5, TimeUnit.SECONDS).thenAccept(h -> {
                if (h.isAlive()) {
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                }
            });
        }
    }

    private Optional<Long> taskPid(TaskProc p) {
        try {
            return Optional.of(Long.parseLong(Files.readString(stepDir.resolve("task-" + p.task.rank() + ".pid"))
                    .trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Ends the share now (client gone, job ended, another node failed): it is reported in {@code state}. */
    public void cancel(String state) {
        if (cancelled == null) {
            cancelled = state;
        }
        signal("KILL");
    }

    public boolean await(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void finish() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        // what the tasks left behind (a background child) goes with them
        stepCgroup.killAll();
        for (TaskProc p : tasks) {
            for (Thread t : p.pumps) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        StepListener.PartResult result = result();
        cleanUp();
        try {
            supervisor.sink().finished(new StepFinished(spec.jobId(), Integer.toString(spec.stepId()), node,
                    Instant.now(), result.state(), result.exitCode(), result.signal(), result.usage(), result.detail()));
        } catch (Exception e) {
            LOG.warnf("Could not publish the end of step %d.%d: %s", spec.jobId(), spec.stepId(), e.toString());
        }
        try {
            listener.ended(result);
        } finally {
            onEnd.run();
            done.countDown();
        }
    }

    private void cleanUp() {
        if (pmi != null) {
            pmi.close();
        }
        if (spare != null) {
            PmixSpares.Spare used = spare;
            used.process().onExit().thenRun(() -> PmixSpares.release(used));
        }
        if (fence != null) {
            try {
                fence.close();
            } catch (RuntimeException e) {
                LOG.debugf("Closing the fence: %s", e.toString());
            }
        }
        for (int i = 0; i < 50 && !stepCgroup.remove(); i++) {
            stepCgroup.killAll();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private StepListener.PartResult result() {
        long user = 0;
        long sys = 0;
        long rss = 0;
        int exit = 0;
        int sig = 0;
        String firstBad = null;
        for (TaskProc p : tasks) {
            if (p.status != null) {
                user += p.status.userMs();
                sys += p.status.systemMs();
                rss = Math.max(rss, p.status.maxRssKb());
            }
            exit = Math.max(exit, p.exitCode);
            sig = Math.max(sig, p.signal);
            if (firstBad == null && (p.exitCode != 0 || p.signal != 0)) {
                firstBad = "task " + p.task.rank() + " on " + node + (p.signal != 0
                        ? " was killed by signal " + p.signal : " exited with exit code " + p.exitCode);
            }
        }
        long oom = ctx.cgroup().oomKills() - oomBefore;
        JobState state;
        String detail = null;
        if (cancelled != null) {
            state = JobState.parse(cancelled);
        } else if (abortDetail != null) {
            state = JobState.FAILED;
            detail = abortDetail;
        } else if (oom > 0) {
            state = JobState.OUT_OF_MEMORY;
            detail = "the job's memory limit was exceeded: " + oom + " process(es) killed by the OOM killer";
        } else if (firstBad != null) {
            state = JobState.FAILED;
            detail = pmixFirstBad != null ? pmixFirstBad : firstBad;
        } else {
            state = JobState.COMPLETED;
        }
        return new StepListener.PartResult(node, state, exit, sig, new Usage(user, sys, rss), detail);
    }
}
