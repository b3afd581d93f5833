package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.api.SignalOption;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.contracts.step.Usage;
import dev.sluice.launcher.StepLaunch;
import dev.sluice.launcher.StepLauncher;
import dev.sluice.nodeagent.cgroup.CgroupDriver;
import dev.sluice.nodeagent.cgroup.JobCgroup;
import dev.sluice.nodeagent.discovery.Gpus;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Runs batch scripts on this node and reports how they end. Plain Java: the Kafka side hands it commands and
 * receives step events through {@link StepEventSink}.
 * <p>
 * Each job's script starts through sluice-stepd in status-file mode: the launcher joins the job's cgroups, binds
 * it to its CPUs, becomes the job's user, opens the output files as that user and execs the script in a session
 * of its own, then waits and writes the outcome to the job directory. Everything the supervisor must remember
 * lives in that directory, so a new supervisor on the same state dir ({@link #recover}) picks up where a crashed
 * one left off.
 */
public final class JobSupervisor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobSupervisor.class);
    public static final String BATCH_STEP = "batch";
    /** In a job's environment: srun outside an allocation waits for this job and streams its output. */
    public static final String ATTACH_ENV = "SLUICE_SRUN_ATTACH";
    static final String ATTACHED_STDOUT = "stdout";
    static final String ATTACHED_STDERR = "stderr";

    public enum LaunchOutcome { LAUNCHED, DUPLICATE, FAILED, NOT_MINE }

    /**
     * How this node runs jobs.
     *
     * @param nodeCpus the node's CPUs, for a launch whose allocation names none
     * @param pidsMax  pids controller limit per job, 0 = none
     * @param rlimits  limits every task starts with (sluice-stepd --rlimit)
     * @param prolog   run as root with the job's environment before the job starts; null for none
     * @param epilog   run as root with the job's environment after the job ended; null for none
     * @param jobsDir  where each job's directory (launch, token, status files, step directories) lives; null for
     *                 {@code <stateDir>/jobs}. On tmpfs it avoids the file system's inode churn: a job creates and
     *                 replaces a dozen small files, and ext4 spends milliseconds per job finding a free inode
     */
    public record Settings(String node, String clusterName, Path stateDir, Duration killWait,
                           Map<String, String> baseEnv, StepLauncher launcher, CgroupDriver cgroups,
                           List<Integer> nodeCpus, long pidsMax, Gpus gpus, List<StepLaunch.Rlimit> rlimits,
                           Path prolog, Path epilog, Path jobsDir) {
        public Settings {
            baseEnv = Map.copyOf(baseEnv);
            nodeCpus = List.copyOf(nodeCpus);
            rlimits = List.copyOf(rlimits);
            jobsDir = jobsDir != null ? jobsDir : stateDir.resolve("jobs");
        }

        /** Job directories under {@code <stateDir>/jobs}. */
        public Settings(String node, String clusterName, Path stateDir, Duration killWait,
                        Map<String, String> baseEnv, StepLauncher launcher, CgroupDriver cgroups,
                        List<Integer> nodeCpus, long pidsMax, Gpus gpus, List<StepLaunch.Rlimit> rlimits,
                        Path prolog, Path epilog) {
            this(node, clusterName, stateDir, killWait, baseEnv, launcher, cgroups, nodeCpus, pidsMax, gpus, rlimits,
                    prolog, epilog, null);
        }
    }

    private final Settings settings;
    private final String node;
    private final Path jobsDir;
    private final StepEventSink sink;
    private final int agentUid = ProcFs.ownUid();
    private final UserGroups userGroups = new UserGroups();
    private final Map<Long, RunningJob> running = new ConcurrentHashMap<>();
    /** Why the node takes no more jobs (a failed prolog or epilog), null while it does. */
    private volatile String drainReason;
    /** Cgroups of reported jobs that could not be removed yet (a process was still leaving). */
    private final List<Leftover> leftovers = new CopyOnWriteArrayList<>();

    /** A reported job's cgroup that still holds processes, and since when (for UnkillableStepTimeout). */
    private static final class Leftover {
        final JobCgroup cgroup;
        final long jobId;
        final Instant since;
        volatile boolean drained;

        Leftover(JobCgroup cgroup, long jobId, Instant since, boolean drained) {
            this.cgroup = cgroup;
            this.jobId = jobId;
            this.since = since;
            this.drained = drained;
        }
    }

    /** Slurm's reason for a node whose job processes survived SIGKILL for UnkillableStepTimeout. */
    public static final String KILL_TASK_FAILED = "Kill task failed";
    /** Slurm's UnkillableStepTimeout (default 60 s): how long processes may survive SIGKILL before the node drains. */
    private volatile Duration unkillableTimeout = Duration.ofSeconds(60);
    /** This agent's HTTP address (host:port), exported to jobs as SLUICE_NODE_AGENT; null until known. */
    private volatile String agentAddress;
    /** sluice.node.job-token-key: makes derived job tokens an HMAC only the agents can compute. */
    private volatile String tokenKey = "";
    /** The length of a time-limit minute; only tests shorten it, to see a TIMEOUT without waiting minutes. */
    private volatile Duration minute = Duration.ofMinutes(1);
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "sluice-job-supervisor");
        t.setDaemon(true);
        return t;
    });

    private static final class RunningJob {
        final JobDir dir;
        final Process process;
        final long wrapperPid;
        final long wrapperStart;
        final JobCgroup cgroup;
        /** Not the job's first node: no batch script here, only the job's share for its steps. */
        final boolean member;
        volatile String endReason;
        /** When SIGKILL went to everything in the job's cgroup (KillWait over); null before. */
        volatile Instant killedAt;
        /** Reported because its processes survived SIGKILL: the node is drained already. */
        volatile boolean unkillable;
        ScheduledFuture<?> timeLimit;
        /** sbatch --signal's warning before the time limit. */
        ScheduledFuture<?> warning;
        volatile StepFinished report;

        RunningJob(JobDir dir, Process process, long wrapperPid, long wrapperStart, JobCgroup cgroup) {
            this(dir, process, wrapperPid, wrapperStart, cgroup, false);
        }

        RunningJob(JobDir dir, Process process, long wrapperPid, long wrapperStart, JobCgroup cgroup,
                   boolean member) {
            this.member = member;
            this.dir = dir;
            this.process = process;
            this.wrapperPid = wrapperPid;
            this.wrapperStart = wrapperStart;
            this.cgroup = cgroup;
        }

        boolean wrapperAlive() {
            if (wrapperPid <= 0) {
                return false;
            }
            return process != null ? process.isAlive() : ProcFs.isAlive(wrapperPid, wrapperStart);
        }
    }

    public JobSupervisor(Settings settings, StepEventSink sink) throws IOException {
        this.settings = settings;
        this.node = settings.node();
        this.jobsDir = settings.jobsDir();
        this.sink = sink;
        Files.createDirectories(jobsDir);
        // the job's user must reach its script (jobs/<id>/script) but list nothing on the way
        traversable(settings.stateDir());
        traversable(jobsDir);
        // a drain outlives the agent: the node stays unfit after a restart until an admin resumes it
        Path drainFile = settings.stateDir().resolve(DRAIN_FILE);
        if (Files.exists(drainFile)) {
            String reason = Files.readString(drainFile).strip();
            drainReason = reason.isEmpty() ? "drained before the agent restarted" : reason;
        }
    }

    static final String DRAIN_FILE = "drain-reason";

    /** Told each new drain reason, so the agent can ask the scheduler to drain the node. */
    private volatile java.util.function.Consumer<String> drainListener = r -> {
    };

    public void drainListener(java.util.function.Consumer<String> listener) {
        this.drainListener = listener;
    }

    /** Takes no more jobs, persists why (a restart keeps it) and tells the listener. */
    public void drain(String reason) {
        drainReason = reason;
        try {
            Files.writeString(settings.stateDir().resolve(DRAIN_FILE), reason + "\n");
        } catch (IOException e) {
            LOG.warnf("Node %s: drain reason not persisted: %s", node, e.getMessage());
        }
        LOG.warnf("Node %s drained: %s", node, reason);
        try {
            drainListener.accept(reason);
        } catch (RuntimeException e) {
            LOG.warnf("Node %s: drain not published: %s", node, e.getMessage());
        }
    }

    /**
     * The scheduler's resume ({@code scontrol update NodeName=n State=RESUME}, NodeResumeRequested): the persisted
     * reason goes and the node takes jobs again.
     *
     * @return whether the node was drained
     */
    public boolean resume(Instant requestedAt) {
        String was = drainReason;
        Path file = settings.stateDir().resolve(DRAIN_FILE);
        try {
            // a resume replayed after a crash must not lift a drain that came after it
            if (requestedAt != null && Files.exists(file)
                    && Files.getLastModifiedTime(file).toInstant().isAfter(requestedAt)) {
                LOG.infof("Node %s: ignoring a resume of %s older than its drain (%s)", node, requestedAt, was);
                return false;
            }
        } catch (IOException e) {
            // gone meanwhile: nothing to keep
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warnf("Node %s: %s not removed: %s", node, DRAIN_FILE, e.getMessage());
        }
        drainReason = null;
        if (was != null) {
            LOG.infof("Node %s resumed by the scheduler (was drained: %s)", node, was);
        }
        return was != null;
    }

    /**
     * An admin's resume on the node: root removed the persisted reason (the agent has no authenticated admin API,
     * and the scheduler's resume does not reach agents yet), so the node takes jobs again.
     */
    public void resumeIfCleared() {
        if (drainReason != null && !Files.exists(settings.stateDir().resolve(DRAIN_FILE))) {
            LOG.infof("Node %s: %s removed, taking jobs again", node, DRAIN_FILE);
            drainReason = null;
        }
    }

    /**
     * Slurm's HealthCheckProgram: run as root with the agent's environment; a non-zero exit drains the node with
     * the program's output as the reason (its first line, as Slurm's scripts write one). Returns the failure.
     */
    public Optional<String> healthCheck(Path program) {
        ProcessBuilder pb = new ProcessBuilder(program.toString())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(settings.baseEnv());
        pb.environment().put("SLURMD_NODENAME", node);
        Optional<String> failure;
        try {
            Process proc = pb.start();
            byte[] out;
            try (var in = proc.getInputStream()) {
                // bounded: a program that writes forever must not fill the agent's heap
                out = in.readNBytes(4096);
            }
            if (!proc.waitFor(5, TimeUnit.MINUTES)) {
                proc.destroyForcibly();
                failure = Optional.of("health check " + program + " timed out");
            } else if (proc.exitValue() == 0) {
                failure = Optional.empty();
            } else {
                String text = new String(out, java.nio.charset.StandardCharsets.UTF_8).strip();
                String first = text.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
                failure = Optional.of(first.isEmpty()
                        ? "health check " + program + " exited with status " + proc.exitValue() : first);
            }
        } catch (IOException e) {
            failure = Optional.of("health check " + program + " could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (failure.isPresent() && !failure.get().equals(drainReason)) {
            drain(failure.get());
        }
        return failure;
    }

    public void agentAddress(String address) {
        this.agentAddress = address;
    }

    public Optional<String> agentAddress() {
        return Optional.ofNullable(agentAddress);
    }

    /**
     * Virtual CPUs (sluice.node.virtual-cpus, for local multi-node clusters): the node's CPU ids are 0..N-1 and
     * virtual CPU v is bound to {@code slice[v mod |slice|]} of the real CPUs given here.
     */
    public void virtualCpus(List<Integer> realSlice) {
        List<Integer> slice = List.copyOf(realSlice);
        this.cpuMap = virtual -> virtual.stream().map(v -> slice.get(Math.floorMod(v, slice.size()))).distinct()
                .sorted().toList();
    }

    /** The real CPUs behind CPU ids of this node (the same ids unless virtual CPUs are configured). */
    public List<Integer> physicalCpus(List<Integer> cpus) {
        return cpuMap.apply(cpus);
    }

    private volatile java.util.function.UnaryOperator<List<Integer>> cpuMap = c -> c;

    public void tokenKey(String key) {
        this.tokenKey = key == null ? "" : key;
    }

    public String node() {
        return node;
    }

    public Settings settings() {
        return settings;
    }

    private static void traversable(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (AccessDeniedException e) {
            // not ours (a shared state dir set up by the administrator): leave its mode alone
        }
    }

    /**
     * Takes over the jobs a previous agent left in the state dir: still-running launchers are watched again, ended
     * ones are reported from their status file, and a job that left no trace of its end is reported FAILED.
     *
     * @return the jobs found still running
     */
    public List<Long> recover() {
        List<Long> adopted = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(jobsDir)) {
            for (Path p : dirs.sorted().toList()) {
                long id;
                try {
                    id = Long.parseLong(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                JobDir dir = new JobDir(id, p);
                if (dir.has(JobDir.REPORTED)) {
                    continue;
                }
                JobCgroup cgroup = settings.cgroups().existing(node, id);
                if (dir.has(JobDir.MEMBER)) {
                    // a share of a job whose batch script runs on another node: it lasts until that node's end
                    running.put(id, new RunningJob(dir, null, -1, 0, cgroup, true));
                    adopted.add(id);
                    continue;
                }
                Optional<long[]> pid = dir.wrapperPid();
                RunningJob job = pid.map(w -> new RunningJob(dir, null, w[0], w[1], cgroup))
                        .orElseGet(() -> new RunningJob(dir, null, -1, 0, cgroup));
                job.endReason = dir.read(JobDir.END_REASON).orElse(null);
                if (dir.status().isEmpty() && job.wrapperAlive()) {
                    adopted.add(id);
                    running.put(id, job);
                    dir.launch().ifPresent(l -> {
                        scheduleTimeLimit(job, l.timeLimitMinutes(), startedAt(dir));
                        scheduleWarning(job, l, startedAt(dir));
                    });
                    LOG.infof("Adopted job %d (sluice-stepd pid %d) from a previous agent", id, job.wrapperPid);
                } else if (dir.status().isPresent()) {
                    job.report = endReport(job, dir.status().get());
                    running.put(id, job);
                } else {
                    String detail = pid.isPresent()
                            ? "the batch script ended while the node agent was down and left no exit status"
                            : "launch interrupted by a node agent restart";
                    cgroup.killAll();
                    job.report = failed(id, detail);
                    running.put(id, job);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the job directories in " + jobsDir + ": " + e, e);
        }
        return adopted;
    }

    /** sluice.node.unkillable-step-timeout (Slurm's UnkillableStepTimeout). */
    public void unkillableStepTimeout(Duration timeout) {
        this.unkillableTimeout = timeout;
    }

    void timeLimitMinute(Duration length) {
        this.minute = length;
    }

    /** Starts watching jobs: end detection, reporting (retried until Kafka takes it), cgroup clean-up. */
    public void start(Duration monitorInterval) {
        long ms = Math.max(20, monitorInterval.toMillis());
        timers.scheduleWithFixedDelay(this::monitor, 0, ms, TimeUnit.MILLISECONDS);
    }

    /** Jobs whose batch script runs now. */
    public List<Long> runningJobs() {
        return running.entrySet().stream().filter(e -> e.getValue().report == null).map(Map.Entry::getKey)
                .sorted().toList();
    }

    /** Jobs known to this node at all (running or ended), for duplicate detection. */
    public boolean knows(long jobId) {
        return Files.exists(jobsDir.resolve(Long.toString(jobId)));
    }

    public LaunchOutcome launch(LaunchRequested launch) {
        if (!node.equals(launch.node())) {
            return LaunchOutcome.NOT_MINE;
        }
        JobDir dir = new JobDir(launch.jobId(), jobsDir.resolve(Long.toString(launch.jobId())));
        try {
            // creating the directory is the atomic "seen it" mark: a replayed or duplicated launch stops here
            Files.createDirectory(dir.path(), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx--x--x")));
        } catch (FileAlreadyExistsException e) {
            if (!rerun(dir, launch)) {
                LOG.infof("Ignoring a repeated launch of job %d", launch.jobId());
                return LaunchOutcome.DUPLICATE;
            }
        } catch (IOException e) {
            return launchFailed(dir, JobCgroup.NONE, "cannot create job directory " + dir.path() + ": " + reason(e));
        }
        try {
            Files.write(dir.file(JobDir.LAUNCH), Json.MAPPER.writeValueAsBytes(launch));
            Files.setPosixFilePermissions(dir.file(JobDir.LAUNCH), PosixFilePermissions.fromString("rw-------"));
            dir.writeAtomically(JobDir.TOKEN, JobToken.of(launch, tokenKey));
            Files.setPosixFilePermissions(dir.file(JobDir.TOKEN), PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            return launchFailed(dir, JobCgroup.NONE, "cannot write " + dir.file(JobDir.LAUNCH) + ": " + reason(e));
        }
        if (isMember(launch)) {
            return prepareMember(dir, launch);
        }
        JobCgroup cgroup = JobCgroup.NONE;
        try {
            String drained = drainReason;
            if (drained != null) {
                throw new LaunchFailure("node " + node + " is drained: " + drained, true);
            }
            Prepared prepared = prepare(dir, launch);
            runProlog(launch, prepared);
            try {
                cgroup = settings.cgroups().create(node, launch.jobId(), prepared.limits());
            } catch (IOException e) {
                throw new LaunchFailure("cannot set up the job's cgroup: " + e.getMessage());
            }
            Process process = startStepd(dir, prepared, cgroup);
            long start = ProcFs.startTicks(process.pid()).orElse(0L);
            try {
                dir.writeAtomically(JobDir.WRAPPER_PID, process.pid() + " " + start);
            } catch (IOException e) {
                LOG.warnf(e, "Job %d runs but its launcher pid could not be recorded for a restart", launch.jobId());
            }
            RunningJob job = new RunningJob(dir, process, process.pid(), start, cgroup);
            running.put(launch.jobId(), job);
            scheduleTimeLimit(job, launch.timeLimitMinutes(), Instant.now());
            scheduleWarning(job, launch, Instant.now());
            LOG.debugf("Launched job %d (sluice-stepd pid %d)", launch.jobId(), process.pid());
            try {
                sink.started(new StepStarted(launch.jobId(), BATCH_STEP, node, Instant.now(), process.pid()));
            } catch (Exception e) {
                // the job runs anyway; its StepFinished still follows
                LOG.warnf(e, "Could not publish StepStarted for job %d", launch.jobId());
            }
            return LaunchOutcome.LAUNCHED;
        } catch (LaunchFailure e) {
            return launchFailed(dir, cgroup, e.getMessage(), e.nodeFault && !Boolean.FALSE.equals(launch.spec().requeue()));
        }
    }

    /** Runs of requeued jobs after their first here (1 = the second run), for distinct event ids per run. */
    private final Map<Long, Integer> reruns = new ConcurrentHashMap<>();
    static final String RUN_FILE = "run";

    /**
     * A requeued job placed here again: same id, a new launch (another launch time) after the old run was
     * reported. The old run's directory moves aside ({@code <id>.run<n>}, which recovery skips) and the job
     * starts afresh. A replay of the old launch (same time) stays a duplicate.
     */
    private boolean rerun(JobDir dir, LaunchRequested launch) {
        if (!dir.has(JobDir.REPORTED)) {
            return false;
        }
        Optional<LaunchRequested> old = dir.launch();
        if (old.isEmpty() || old.get().time() == null || old.get().time().equals(launch.time())) {
            return false;
        }
        try {
            int run = 1;
            while (Files.exists(jobsDir.resolve(launch.jobId() + ".run" + run))) {
                run++;
            }
            Files.move(dir.path(), jobsDir.resolve(launch.jobId() + ".run" + run));
            Files.createDirectory(dir.path(), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx--x--x")));
            Files.writeString(dir.file(RUN_FILE), Integer.toString(run));
            reruns.put(launch.jobId(), run);
            LOG.infof("Job %d is back (requeued): run %d here", launch.jobId(), run + 1);
            return true;
        } catch (IOException e) {
            LOG.warnf("Job %d: cannot start its new run: %s", launch.jobId(), e.toString());
            return false;
        }
    }

    /**
     * What makes the event ids of a requeued job's later run here differ from its earlier run's (consumers drop
     * repeated ids): empty for a first run, {@code /run<n>} after.
     */
    public String runSuffix(long jobId) {
        Integer run = reruns.get(jobId);
        if (run == null) {
            run = new JobDir(jobId, jobsDir.resolve(Long.toString(jobId))).read(RUN_FILE).map(v -> {
                try {
                    return Integer.parseInt(v.strip());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }).orElse(0);
            reruns.put(jobId, run);
        }
        return run == 0 ? "" : "/run" + run;
    }

    /** The batch script runs on the allocation's first node; every other node only prepares its share. */
    private boolean isMember(LaunchRequested launch) {
        return launch.allocation() != null && !launch.allocation().isEmpty()
                && !node.equals(launch.allocation().getFirst().node());
    }

    /**
     * A node of the job other than its first: job directory, token, prolog and cgroups with this node's share, so
     * that the job's steps can run here; nothing is started and nothing is published (the first node reports the
     * job). A failure here is only logged: the job's steps then fail on this node, with the reason.
     */
    private LaunchOutcome prepareMember(JobDir dir, LaunchRequested launch) {
        JobCgroup cgroup = JobCgroup.NONE;
        try {
            dir.writeAtomically(JobDir.MEMBER, launch.allocation().getFirst().node());
            String drained = drainReason;
            if (drained != null) {
                throw new LaunchFailure("node " + node + " is drained: " + drained);
            }
            NodeAllocation mine = launch.allocation().stream().filter(a -> node.equals(a.node())).findFirst()
                    .orElse(null);
            List<Integer> cpus = mine == null || mine.cpuIds() == null || mine.cpuIds().isEmpty()
                    ? settings.nodeCpus() : mine.cpuIds();
            long memMb = mine != null && mine.memMb() > 0 ? mine.memMb() : 0;
            List<Integer> gpus = mine == null || mine.gpus() == null ? List.of() : List.copyOf(mine.gpus());
            List<Path> denied = new ArrayList<>();
            settings.gpus().gpus().stream().filter(g -> !gpus.contains(g.index())).forEach(g -> denied.add(g.device()));
            String workDir = launch.spec() == null || launch.spec().workDir() == null ? "/" : launch.spec().workDir();
            List<Integer> real = physicalCpus(cpus);
            Prepared p = new Prepared(launch, Path.of(workDir), null, null, null, false, real,
                    new CgroupDriver.Limits(real, memMb, settings.pidsMax(), denied), gpus);
            runProlog(launch, p);
            try {
                cgroup = settings.cgroups().create(node, launch.jobId(), p.limits());
            } catch (IOException e) {
                throw new LaunchFailure("cannot set up the job's cgroup: " + e.getMessage());
            }
        } catch (LaunchFailure | IOException e) {
            LOG.warnf("Job %d: this node's share could not be prepared: %s", launch.jobId(), e.getMessage());
            try {
                dir.writeAtomically(JobDir.END_REASON, "launch failed: " + e.getMessage());
            } catch (IOException ignored) {
                // the step requests then find no share either
            }
        }
        RunningJob share = new RunningJob(dir, null, -1, 0, cgroup, true);
        running.put(launch.jobId(), share);
        // the job's steps have tasks here too: this node sends them the --signal warning itself
        scheduleWarning(share, launch, Instant.now());
        LOG.debugf("Prepared this node's share of job %d", launch.jobId());
        return LaunchOutcome.LAUNCHED;
    }

    /** The end of a share (JOB_END, scancel, time limit): what is left is killed, the epilog runs, cgroups go. */
    private void endMember(RunningJob job) {
        synchronized (job) {
            if (!running.remove(job.dir.jobId(), job)) {
                return;
            }
            job.cgroup.killAll();
            runEpilog(job).ifPresent(f -> LOG.warnf("Job %d: %s; node %s drained", job.dir.jobId(), f, node));
            try {
                job.dir.writeAtomically(JobDir.REPORTED, job.endReason == null ? "JOB_END" : job.endReason);
            } catch (IOException e) {
                LOG.warnf("Could not mark the share of job %d ended: %s", job.dir.jobId(), e.toString());
            }
            if (!job.cgroup.remove()) {
                leftovers.add(new Leftover(job.cgroup, job.dir.jobId(), Instant.now(), job.unkillable));
            }
            LOG.debugf("Share of job %d ended", job.dir.jobId());
        }
    }

    /**
     * scancel or time limit: SIGCONT and SIGTERM to the script's process group now, SIGKILL to everything in the
     * job's cgroup and below its launcher after {@code wait}. The end is reported with {@code reason} as its state.
     *
     * @return false when the job does not run here
     */
    public boolean signal(long jobId, String reason, Duration wait) {
        RunningJob job = running.get(jobId);
        if (job == null || job.report != null) {
            return false;
        }
        if (job.member) {
            if (job.endReason == null || job.endReason.startsWith("launch failed")) {
                job.endReason = "JOB_END".equals(reason) ? "JOB_END" : endState(reason).name();
            }
            endSteps(jobId, "TERM");
            timers.schedule(() -> endMember(job), Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS);
            return true;
        }
        String state = endState(reason).name();
        if (job.endReason == null) {
            job.endReason = state;
            try {
                job.dir.writeAtomically(JobDir.END_REASON, state);
            } catch (IOException e) {
                LOG.warnf(e, "Could not record the end reason of job %d", jobId);
            }
            String when = LocalDateTime.now(ZoneId.systemDefault()).truncatedTo(ChronoUnit.SECONDS).toString();
            job.dir.tellJob("slurmstepd: error: *** JOB " + jobId + " ON " + node + " CANCELLED AT " + when
                    + (state.equals("TIMEOUT") ? " DUE TO TIME LIMIT" : "") + " ***");
        }
        endSteps(jobId, "TERM");
        Optional<Long> pgid = job.dir.scriptPid();
        if (pgid.isPresent()) {
            ProcFs.signalGroup(pgid.get(), "CONT");
            ProcFs.signalGroup(pgid.get(), "TERM");
        } else {
            // sluice-stepd forwards SIGTERM to the task's group once it has one
            ProcFs.signal(job.wrapperPid, "TERM");
        }
        timers.schedule(() -> killAll(job), Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS);
        LOG.infof("Signalled job %d (%s), SIGKILL in %s", jobId, state, wait);
        return true;
    }

    @Override
    public void close() {
        // jobs keep running: a restarted agent adopts them
        timers.shutdownNow();
    }

    /** What a launch turns into before anything starts: validated paths, limits and the task's environment. */
    private record Prepared(LaunchRequested launch, Path workDir, Path out, Path err, Path script, boolean shebang,
                            List<Integer> cpus, CgroupDriver.Limits limits, List<Integer> gpus) {
    }

    private Prepared prepare(JobDir dir, LaunchRequested launch) throws LaunchFailure {
        JobSpec spec = launch.spec();
        if (spec == null || spec.script() == null) {
            throw new LaunchFailure("no batch script given");
        }
        if (spec.workDir() == null || spec.workDir().isBlank()) {
            throw new LaunchFailure("no working directory given");
        }
        Owner owner = launch.owner();
        if (owner != null && owner.uid() != agentUid && agentUid != 0) {
            // never run someone's job as the agent's own user
            throw new LaunchFailure("cannot run a job of uid " + owner.uid() + ": the node agent runs as uid "
                    + agentUid + ", not root");
        }
        Path workDir = Path.of(spec.workDir());
        if (!Files.isDirectory(workDir)) {
            throw new LaunchFailure("cannot chdir to " + workDir + ": "
                    + (Files.exists(workDir) ? "Not a directory" : "No such file or directory"));
        }
        String name = JobEnvironment.jobName(spec);
        String user = owner == null ? System.getProperty("user.name") : owner.user();
        Path out = OutputPaths.resolve(workDir, OutputPaths.stdoutPattern(launch), launch, name, user, node);
        Path err = spec.stderr() == null ? out : OutputPaths.resolve(workDir, spec.stderr(), launch, name, user, node);
        if (spec.env() != null && "1".equals(spec.env().get(ATTACH_ENV))) {
            // srun outside an allocation streams the batch script's output from here (docs/steps.md)
            out = dir.file(ATTACHED_STDOUT);
            err = dir.file(ATTACHED_STDERR);
            try {
                for (Path f : List.of(out, err)) {
                    Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    if (owner != null && agentUid == 0) {
                        Files.setAttribute(f, "unix:gid", owner.gid());
                        Files.setAttribute(f, "unix:uid", owner.uid());
                    }
                }
            } catch (IOException e) {
                throw new LaunchFailure("cannot create the job's output in " + dir.path() + ": " + reason(e));
            }
        }

        NodeAllocation mine = launch.allocation() == null ? null
                : launch.allocation().stream().filter(a -> node.equals(a.node())).findFirst().orElse(null);
        List<Integer> cpus = mine == null || mine.cpuIds() == null || mine.cpuIds().isEmpty()
                ? settings.nodeCpus() : mine.cpuIds();
        if (!settings.nodeCpus().containsAll(cpus)) {
            throw new LaunchFailure("CPUs " + cpus + " are not all on node " + node + " (" + settings.nodeCpus() + ")");
        }
        long memMb = mine != null && mine.memMb() > 0 ? mine.memMb()
                : spec.resources() != null && spec.resources().memPerNodeMb() != null
                ? spec.resources().memPerNodeMb() : 0;
        List<Integer> gpus = mine == null || mine.gpus() == null ? List.of() : List.copyOf(mine.gpus());
        List<Path> denied = new ArrayList<>();
        for (int g : gpus) {
            if (settings.gpus().byIndex(g).isEmpty()) {
                throw new LaunchFailure("GPU " + g + " is not on node " + node + " (it has "
                        + settings.gpus().gpus().size() + ")");
            }
        }
        settings.gpus().gpus().stream().filter(g -> !gpus.contains(g.index())).forEach(g -> denied.add(g.device()));

        Path script = dir.file(JobDir.SCRIPT);
        try {
            Files.createFile(script, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.writeString(script, spec.script());
            if (owner != null && agentUid == 0) {
                // the user reads their own script, as in Slurm's spool, and nobody else does
                Files.setAttribute(script, "unix:gid", owner.gid());
                Files.setAttribute(script, "unix:uid", owner.uid());
            }
            dir.writeAtomically(JobDir.STDERR_PATH, err.toString());
        } catch (IOException e) {
            throw new LaunchFailure("cannot write batch script " + script + ": " + reason(e));
        }
        List<Integer> real = physicalCpus(cpus);
        return new Prepared(launch, workDir, out, err, script, spec.script().startsWith("#!"), real,
                new CgroupDriver.Limits(real, memMb, settings.pidsMax(), denied), gpus);
    }

    /**
     * What a step needs of a job running here: its launch record, directory, cgroup, user and groups, the batch
     * script's pid (for its resource limits) and, for a share that could not be prepared, why.
     */
    public record JobContext(LaunchRequested launch, Path dir, JobCgroup cgroup, boolean member, Optional<Long> scriptPid,
                             List<Integer> groups, String failure, String token, boolean constrainsDevices) {
    }

    /** The job if it runs on this node now (the batch script, or a prepared share); empty otherwise. */
    public Optional<JobContext> context(long jobId) {
        RunningJob job = running.get(jobId);
        if (job == null || job.report != null) {
            return Optional.empty();
        }
        Optional<LaunchRequested> launch = job.dir.launch();
        if (launch.isEmpty()) {
            return Optional.empty();
        }
        Owner owner = launch.get().owner();
        List<Integer> groups = owner == null || agentUid != 0 ? List.of()
                : userGroups.of(owner.user(), owner.uid(), owner.gid());
        String failure = job.endReason != null && job.endReason.startsWith("launch failed") ? job.endReason : null;
        return Optional.of(new JobContext(launch.get(), job.dir.path(), job.cgroup, job.member,
                job.member ? Optional.empty() : job.dir.scriptPid(), groups, failure,
                job.dir.read(JobDir.TOKEN).orElse(null), settings.cgroups().constrainsDevices()));
    }

    /**
     * The batch script's output kept in the job directory for srun outside an allocation ({@code stream} is
     * {@code stdout} or {@code stderr}); empty for other jobs and for jobs this node does not know.
     */
    public Optional<Path> attachedOutput(long jobId, String stream) {
        if (!stream.equals(ATTACHED_STDOUT) && !stream.equals(ATTACHED_STDERR)) {
            return Optional.empty();
        }
        Path f = jobsDir.resolve(Long.toString(jobId)).resolve(stream);
        return Files.exists(f) ? Optional.of(f) : Optional.empty();
    }

    /** Whether the job's batch script (or share) still runs here. */
    public boolean running(long jobId) {
        RunningJob job = running.get(jobId);
        return job != null && job.report == null;
    }

    /** Whether tasks may be started as another user (the agent is root). */
    public boolean runsAsRoot() {
        return agentUid == 0;
    }

    public StepEventSink sink() {
        return sink;
    }

    /** The job's token as this node holds it. */
    public Optional<String> jobsToken(long jobId) {
        return new JobDir(jobId, jobsDir.resolve(Long.toString(jobId))).read(JobDir.TOKEN);
    }

    /** Steps still running on this node for a job that ends: a hook the step runner fills in. */
    private void endSteps(long jobId, String signal) {
        StepHooks h = stepHooks;
        if (h != null) {
            h.jobEnding(jobId, signal);
        }
    }

    /** How the step runner hears of job ends, so that no step outlives its job. */
    public interface StepHooks {
        void jobEnding(long jobId, String signal);
    }

    private volatile StepHooks stepHooks;

    public void stepHooks(StepHooks hooks) {
        this.stepHooks = hooks;
    }

    /** Why this node takes no more jobs (prolog or epilog failure), if it does not. */
    public Optional<String> drainReason() {
        return Optional.ofNullable(drainReason);
    }

    private Map<String, String> jobEnvironment(LaunchRequested launch, Prepared p) {
        Map<String, String> env = JobEnvironment.build(settings.baseEnv(), launch, node,
                launch.clusterName() == null ? settings.clusterName() : launch.clusterName(), p.workDir().toString());
        env.putAll(gpuEnvironment(p.gpus()));
        // srun inside the allocation: whom to ask, and the proof that it is the job's own process asking
        jobsToken(launch.jobId()).ifPresent(t -> env.put(JobToken.ENV, t));
        if (agentAddress != null) {
            env.put("SLUICE_NODE_AGENT", agentAddress);
        }
        return env;
    }

    /** Slurm's Prolog: as root, with the job's environment; a failure drains the node, since it may be broken. */
    private void runProlog(LaunchRequested launch, Prepared p) throws LaunchFailure {
        if (settings.prolog() == null) {
            return;
        }
        Optional<String> failure = runAsRoot("prolog", settings.prolog(), jobEnvironment(launch, p), launch.jobId());
        if (failure.isPresent()) {
            drain(failure.get());
            throw new LaunchFailure(failure.get() + "; node " + node + " drained", true);
        }
    }

    /** Slurm's Epilog, after the job ended and before its end is reported; a failure drains the node. */
    private Optional<String> runEpilog(RunningJob job) {
        if (settings.epilog() == null) {
            return Optional.empty();
        }
        Optional<LaunchRequested> launch = job.dir.launch();
        Map<String, String> env = new java.util.HashMap<>(settings.baseEnv());
        launch.ifPresent(l -> {
            String workDir = l.spec() == null || l.spec().workDir() == null ? "/" : l.spec().workDir();
            env.putAll(JobEnvironment.build(settings.baseEnv(), l, node,
                    l.clusterName() == null ? settings.clusterName() : l.clusterName(), workDir));
        });
        Optional<String> failure = runAsRoot("epilog", settings.epilog(), env, job.dir.jobId());
        failure.ifPresent(this::drain);
        return failure;
    }

    private Optional<String> runAsRoot(String what, Path program, Map<String, String> env, long jobId) {
        ProcessBuilder pb = new ProcessBuilder(program.toString())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(jobsDir.resolve(jobId + "/" + what + ".log").toFile()));
        pb.environment().clear();
        pb.environment().putAll(env);
        try {
            Process proc = pb.start();
            if (!proc.waitFor(5, TimeUnit.MINUTES)) {
                proc.destroyForcibly();
                return Optional.of(what + " " + program + " timed out for job " + jobId);
            }
            return proc.exitValue() == 0 ? Optional.empty()
                    : Optional.of(what + " " + program + " exited with status " + proc.exitValue() + " for job "
                    + jobId);
        } catch (IOException e) {
            return Optional.of(what + " " + program + " could not run for job " + jobId + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(what + " " + program + " interrupted for job " + jobId);
        }
    }

    private Process startStepd(JobDir dir, Prepared p, JobCgroup cgroup) throws LaunchFailure {
        LaunchRequested launch = p.launch();
        Map<String, String> env = jobEnvironment(launch, p);
        List<String> argv = new ArrayList<>(p.shebang() ? List.of(p.script().toString())
                : List.of("/bin/sh", p.script().toString()));
        if (launch.spec().scriptArgs() != null) {
            argv.addAll(launch.spec().scriptArgs());
        }
        StepLaunch.Builder b = StepLaunch.builder(argv)
                .environment(env)
                .workDir(p.workDir())
                .cpus(p.cpus())
                .stdin(Path.of("/dev/null"))
                .stdout(p.out())
                .stderr(p.err())
                .openMode("append".equalsIgnoreCase(launch.spec().openMode()) ? StepLaunch.OpenMode.APPEND
                        : StepLaunch.OpenMode.TRUNCATE)
                .setsid(true)
                .statusFile(dir.file(JobDir.STATUS))
                .pidFile(dir.file(JobDir.SCRIPT_PID));
        Owner owner = launch.owner();
        if (owner != null && agentUid == 0) {
            b.user(owner.uid(), owner.gid(), userGroups.of(owner.user(), owner.uid(), owner.gid()));
        }
        cgroup.procsFiles().forEach(b::cgroupProcs);
        settings.rlimits().forEach(b::rlimit);
        StepLaunch step;
        try {
            step = b.build();
        } catch (IllegalArgumentException e) {
            throw new LaunchFailure(e.getMessage());
        }
        // sluice-stepd's own messages (a setup error before the output files are open) go to a file, never to a
        // pipe the agent would have to drain and that would break when the agent restarts
        ProcessBuilder pb = settings.launcher().processBuilder(step)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.file(JobDir.STEPD_LOG).toFile()))
                .redirectErrorStream(true);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new LaunchFailure("cannot start sluice-stepd " + settings.launcher().binary() + ": " + e.getMessage());
        }
    }

    /**
     * Slurm's GPU variables. SLURM_JOB_GPUS names the node's indices; CUDA_VISIBLE_DEVICES and GPU_DEVICE_ORDINAL
     * count from 0 when the devices cgroup hides the other GPUs (the CUDA runtime then numbers only the visible
     * ones), and use the node's indices otherwise, as Slurm does with and without ConstrainDevices.
     */
    Map<String, String> gpuEnvironment(List<Integer> gpus) {
        if (gpus.isEmpty()) {
            return Map.of();
        }
        String global = gpus.stream().map(String::valueOf).collect(Collectors.joining(","));
        String visible = settings.cgroups().constrainsDevices()
                ? IntStream.range(0, gpus.size()).mapToObj(String::valueOf).collect(Collectors.joining(","))
                : global;
        return Map.of("SLURM_JOB_GPUS", global, "SLURM_GPUS_ON_NODE", Integer.toString(gpus.size()),
                "CUDA_VISIBLE_DEVICES", visible, "GPU_DEVICE_ORDINAL", visible);
    }

    private LaunchOutcome launchFailed(JobDir dir, JobCgroup cgroup, String why) {
        return launchFailed(dir, cgroup, why, false);
    }

    /**
     * @param requeue the node is at fault (failing prolog, drained node) and the job did not ask --no-requeue: the
     *                report asks the scheduler to requeue the job, so that it runs elsewhere
     */
    private LaunchOutcome launchFailed(JobDir dir, JobCgroup cgroup, String why, boolean requeue) {
        String detail = "launch failed: " + why + (requeue ? "; job requeued" : "");
        LOG.warnf("Job %d: %s", dir.jobId(), detail);
        RunningJob job = new RunningJob(dir, null, -1, 0, cgroup);
        job.report = requeue
                ? new StepFinished(dir.jobId(), BATCH_STEP, node, Instant.now(), JobState.FAILED, 1, 0, Usage.NONE,
                detail, Boolean.TRUE)
                : failed(dir.jobId(), detail);
        running.put(dir.jobId(), job);
        publish(job);
        return LaunchOutcome.FAILED;
    }

    private StepFinished failed(long jobId, String detail) {
        return new StepFinished(jobId, BATCH_STEP, node, Instant.now(), JobState.FAILED, 1, 0, Usage.NONE, detail);
    }

    private void scheduleTimeLimit(RunningJob job, int minutes, Instant startedAt) {
        if (minutes <= 0) {
            return;
        }
        long delay = Duration.between(Instant.now(), startedAt.plus(minute.multipliedBy(minutes))).toMillis();
        job.timeLimit = timers.schedule(() -> {
            signal(job.dir.jobId(), JobState.TIMEOUT.name(), settings.killWait());
        }, Math.max(0, delay), TimeUnit.MILLISECONDS);
    }

    /**
     * sbatch --signal: the signal {@code seconds} before the time limit (at once when that is already past), to the
     * batch shell alone with {@code B:}, else to every task of the job's steps on this node, as Slurm does.
     */
    private void scheduleWarning(RunningJob job, LaunchRequested launch, Instant startedAt) {
        if (launch.spec() == null || launch.spec().signal() == null || launch.timeLimitMinutes() <= 0) {
            return;
        }
        SignalOption option;
        try {
            option = SignalOption.parse(launch.spec().signal());
        } catch (IllegalArgumentException e) {
            LOG.warnf("Job %d: ignoring --signal=%s: %s", launch.jobId(), launch.spec().signal(), e.getMessage());
            return;
        }
        if (job.member && option.batchOnly()) {
            return;
        }
        // seconds scale with the minute, so that tests with a shortened minute keep the proportions
        Duration before = minute.multipliedBy(option.seconds()).dividedBy(60);
        Instant at = startedAt.plus(minute.multipliedBy(launch.timeLimitMinutes())).minus(before);
        long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
        job.warning = timers.schedule(() -> warn(job, option), delay, TimeUnit.MILLISECONDS);
    }

    /** Tests: the --signal warning now instead of at its time. */
    void warnNow(long jobId) {
        RunningJob job = running.get(jobId);
        if (job != null && job.dir.launch().map(l -> l.spec().signal()).isPresent()) {
            warn(job, SignalOption.parse(job.dir.launch().get().spec().signal()));
        }
    }

    private void warn(RunningJob job, SignalOption option) {
        long id = job.dir.jobId();
        if (running.get(id) != job || job.report != null || (job.endReason != null && !job.member)) {
            return;
        }
        String sig = Integer.toString(option.signal());
        if (option.batchOnly()) {
            Optional<Long> pid = job.dir.scriptPid();
            pid.ifPresent(p -> ProcFs.signal(p, sig));
            LOG.infof("Job %d: --signal %s sent to the batch shell (pid %s)", id, sig, pid.orElse(null));
        } else {
            java.util.Set<Long> pids = job.cgroup.stepPids();
            pids.forEach(p -> ProcFs.signal(p, sig));
            LOG.infof("Job %d: --signal %s sent to %d step task(s)", id, sig, pids.size());
        }
    }

    private static Instant startedAt(JobDir dir) {
        try {
            return Files.getLastModifiedTime(dir.file(JobDir.WRAPPER_PID)).toInstant();
        } catch (IOException e) {
            return Instant.now();
        }
    }

    /** One round of watching: detect ends, publish pending reports, remove cgroups that are empty now. */
    void monitor() {
        List<RunningJob> ended = new ArrayList<>();
        for (RunningJob job : running.values()) {
            try {
                if (job.report == null) {
                    watch(job);
                }
                if (job.report != null) {
                    ended.add(job);
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "Watching job %d failed; retrying", job.dir.jobId());
            }
        }
        if (ended.size() > 1) {
            try {
                sink.finished(ended.stream().map(j -> j.report).toList());
                ended.forEach(this::markReported);
            } catch (Exception e) {
                LOG.warnf("Could not report %d job ends at once (%s); one by one", ended.size(), e.toString());
                ended.forEach(this::publish);
            }
        } else {
            ended.forEach(this::publish);
        }
        for (Leftover left : leftovers) {
            if (left.cgroup.remove()) {
                leftovers.remove(left);
                continue;
            }
            left.cgroup.killAll();
            if (!left.drained && !left.cgroup.pids().isEmpty()
                    && Duration.between(left.since, Instant.now()).compareTo(unkillableTimeout) >= 0) {
                left.drained = true;
                LOG.errorf("Job %d: processes %s survived SIGKILL for %s", left.jobId, left.cgroup.pids(),
                        unkillableTimeout);
                drain(KILL_TASK_FAILED);
            }
        }
    }

    private void watch(RunningJob job) {
        if (job.member) {
            return;
        }
        Optional<JobDir.ExitStatus> status = job.dir.status();
        Instant killed = job.killedAt;
        if (status.isEmpty() && killed != null
                && Duration.between(killed, Instant.now()).compareTo(unkillableTimeout) >= 0) {
            Set<Long> left = job.cgroup.pids();
            if (!left.isEmpty()) {
                // Slurm's UnkillableStepTimeout: the job ends as it was asked to, the node is unfit for more jobs
                LOG.errorf("Job %d: processes %s survived SIGKILL for %s", job.dir.jobId(), left, unkillableTimeout);
                job.unkillable = true;
                drain(KILL_TASK_FAILED);
                job.report = new StepFinished(job.dir.jobId(), BATCH_STEP, node, Instant.now(),
                        job.endReason != null ? endState(job.endReason) : JobState.FAILED, 0, 9, Usage.NONE,
                        left.size() + " process(es) of the job survived SIGKILL for " + unkillableTimeout.toSeconds()
                                + " s (UnkillableStepTimeout); node " + node + " drained: " + KILL_TASK_FAILED);
                return;
            }
        }
        if (status.isEmpty() && !job.wrapperAlive()) {
            // the launcher may have written the status just before it went
            status = job.dir.status();
            if (status.isEmpty()) {
                killBelow(job);
                job.report = new StepFinished(job.dir.jobId(), BATCH_STEP, node, Instant.now(),
                        job.endReason != null ? endState(job.endReason) : JobState.FAILED, 1, 0, Usage.NONE,
                        "the batch script's launcher (sluice-stepd) ended without recording an exit status");
                return;
            }
        }
        if (status.isPresent()) {
            // the batch script's end is the job's end: nothing it started may outlive it
            endSteps(job.dir.jobId(), "KILL");
            killBelow(job);
            StepFinished report = endReport(job, status.get());
            Optional<String> epilog = status.get().error() == null ? runEpilog(job) : Optional.empty();
            job.report = epilog.isEmpty() ? report : new StepFinished(report.jobId(), report.stepId(), report.node(),
                    report.time(), report.state(), report.exitCode(), report.signal(), report.usage(),
                    (report.detail() == null ? "" : report.detail() + "; ") + epilog.get() + "; node " + node
                            + " drained");
        }
    }

    private StepFinished endReport(RunningJob job, JobDir.ExitStatus s) {
        if (s.error() != null) {
            return new StepFinished(job.dir.jobId(), BATCH_STEP, node, s.time(), JobState.FAILED, 1, 0, Usage.NONE,
                    "launch failed: " + s.error());
        }
        long oomKills = job.cgroup.oomKills();
        JobState state = job.endReason != null ? endState(job.endReason)
                : oomKills > 0 ? JobState.OUT_OF_MEMORY
                : s.exitCode() == 0 && s.signal() == 0 ? JobState.COMPLETED : JobState.FAILED;
        // the cgroup also counted what escaped the launcher's process tree; the launcher's rusage has the true RSS
        Optional<JobCgroup.CpuTime> cg = job.cgroup.cpuTime();
        Usage usage = new Usage(Math.max(s.cpuUserMs(), cg.map(JobCgroup.CpuTime::userMs).orElse(0L)),
                Math.max(s.cpuSystemMs(), cg.map(JobCgroup.CpuTime::systemMs).orElse(0L)), s.maxRssKb());
        String detail = state == JobState.OUT_OF_MEMORY
                ? "the job's memory limit was exceeded: " + oomKills + " process(es) killed by the OOM killer" : null;
        return new StepFinished(job.dir.jobId(), BATCH_STEP, node, s.time(), state, s.exitCode(), s.signal(), usage,
                detail);
    }

    private void publish(RunningJob job) {
        if (running.get(job.dir.jobId()) != job) {
            return;
        }
        try {
            sink.finished(job.report);
            markReported(job);
        } catch (Exception e) {
            LOG.warnf("Could not report the end of job %d yet: %s", job.dir.jobId(), e.toString());
        }
    }

    /** After Kafka took the end: the "reported" mark, then the job's cgroups go. */
    private void markReported(RunningJob job) {
        synchronized (job) {
            if (!running.remove(job.dir.jobId(), job)) {
                return;
            }
            try {
                job.dir.writeAtomically(JobDir.REPORTED, job.report.state().name());
            } catch (IOException e) {
                // reported again after a restart, with the same event id: consumers drop the repeat
                LOG.warnf("Could not mark job %d reported: %s", job.dir.jobId(), e.toString());
            }
            if (job.timeLimit != null) {
                job.timeLimit.cancel(false);
            }
            if (job.warning != null) {
                job.warning.cancel(false);
            }
            job.cgroup.killAll();
            if (!job.cgroup.remove()) {
                leftovers.add(new Leftover(job.cgroup, job.dir.jobId(), Instant.now(), job.unkillable));
            }
            LOG.debugf("Job %d ended: %s %d:%d", job.dir.jobId(), job.report.state(), job.report.exitCode(),
                    job.report.signal());
        }
    }

    private void killAll(RunningJob job) {
        if (running.get(job.dir.jobId()) != job || job.report != null) {
            return;
        }
        job.dir.scriptPid().ifPresent(pgid -> ProcFs.signalGroup(pgid, "KILL"));
        killBelow(job);
        if (job.killedAt == null) {
            job.killedAt = Instant.now();
        }
    }

    /**
     * SIGKILL to everything in the job's cgroup and below its launcher (a subreaper, so it also holds what left the
     * script's session while it lives); never the launcher itself, which records the outcome.
     */
    private static void killBelow(RunningJob job) {
        job.cgroup.killAll();
        // with cgroups, the cgroup holds every process of the task (it joined before anything could fork);
        // the /proc walk below costs milliseconds per job, so it is only the fallback without them
        if (job.cgroup.procsFiles().isEmpty() && job.wrapperPid > 0 && job.wrapperAlive()) {
            ProcFs.descendants(job.wrapperPid).forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static JobState endState(String reason) {
        try {
            JobState s = JobState.parse(reason);
            return s.isTerminal() ? s : JobState.CANCELLED;
        } catch (IllegalArgumentException e) {
            return JobState.CANCELLED;
        }
    }

    private static String reason(IOException e) {
        return switch (e) {
            case AccessDeniedException a -> "Permission denied";
            case NoSuchFileException n -> "No such file or directory";
            case FileAlreadyExistsException f -> "File exists";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage();
        };
    }

    private static final class LaunchFailure extends Exception {
        /** The node is at fault, not the job: the job goes back to the queue (Slurm requeues on a prolog failure). */
        final boolean nodeFault;

        LaunchFailure(String message) {
            this(message, false);
        }

        LaunchFailure(String message, boolean nodeFault) {
            super(message);
            this.nodeFault = nodeFault;
        }
    }
}
