package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.contracts.step.Usage;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs batch scripts on this node and reports how they end. Plain Java: the Kafka side hands it commands and
 * receives step events through {@link StepEventSink}.
 * <p>
 * Each job runs below a tiny wrapper (batch-wrapper.pl) in its own session; the script is its own process group.
 * Everything the supervisor must remember lives in the job's directory, so a new supervisor on the same state
 * dir ({@link #recover}) picks up where a crashed one left off.
 */
public final class JobSupervisor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobSupervisor.class);
    public static final String BATCH_STEP = "batch";

    public enum LaunchOutcome { LAUNCHED, DUPLICATE, FAILED, NOT_MINE }

    private final String node;
    private final String clusterName;
    private final Path jobsDir;
    private final Path wrapper;
    private final Duration killWait;
    private final StepEventSink sink;
    private final Map<String, String> baseEnv;
    private final Map<Long, RunningJob> running = new ConcurrentHashMap<>();
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
        volatile String endReason;
        long userMs;
        long systemMs;
        long maxRssKb;
        ScheduledFuture<?> timeLimit;
        volatile StepFinished report;

        RunningJob(JobDir dir, Process process, long wrapperPid, long wrapperStart) {
            this.dir = dir;
            this.process = process;
            this.wrapperPid = wrapperPid;
            this.wrapperStart = wrapperStart;
        }

        boolean wrapperAlive() {
            if (wrapperPid <= 0) {
                return false;
            }
            return process != null ? process.isAlive() : ProcFs.isAlive(wrapperPid, wrapperStart);
        }
    }

    public JobSupervisor(String node, String clusterName, Path stateDir, Duration killWait, StepEventSink sink,
                         Map<String, String> baseEnv) throws IOException {
        this.node = node;
        this.clusterName = clusterName;
        this.jobsDir = stateDir.resolve("jobs");
        this.killWait = killWait;
        this.sink = sink;
        this.baseEnv = Map.copyOf(baseEnv);
        Files.createDirectories(jobsDir);
        this.wrapper = stateDir.resolve("batch-wrapper.pl");
        try (InputStream in = JobSupervisor.class.getResourceAsStream("batch-wrapper.pl")) {
            Path tmp = stateDir.resolve("batch-wrapper.pl.tmp");
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, wrapper, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Takes over the jobs a previous agent left in the state dir: still-running wrappers are watched again, ended
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
                Optional<long[]> pid = dir.wrapperPid();
                RunningJob job = pid.map(w -> new RunningJob(dir, null, w[0], w[1]))
                        .orElseGet(() -> new RunningJob(dir, null, -1, 0));
                job.endReason = dir.read(JobDir.END_REASON).orElse(null);
                if (dir.status().isEmpty() && job.wrapperAlive()) {
                    adopted.add(id);
                    running.put(id, job);
                    dir.launch().ifPresent(l -> scheduleTimeLimit(job, l.timeLimitMinutes(),
                            startedAt(dir)));
                    LOG.infof("Adopted job %d (wrapper pid %d) from a previous agent", id, job.wrapperPid);
                } else if (dir.status().isPresent()) {
                    job.report = endReport(job, dir.status().get());
                    running.put(id, job);
                } else {
                    String detail = pid.isPresent()
                            ? "the batch script ended while the node agent was down and left no exit status"
                            : "launch interrupted by a node agent restart";
                    job.report = failed(id, detail);
                    running.put(id, job);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the job directories in " + jobsDir + ": " + e, e);
        }
        return adopted;
    }

    void timeLimitMinute(Duration length) {
        this.minute = length;
    }

    /** Starts watching jobs: usage samples, end detection, reporting (retried until Kafka takes it). */
    public void start(Duration monitorInterval) {
        long ms = Math.max(50, monitorInterval.toMillis());
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
            Files.createDirectory(dir.path());
        } catch (FileAlreadyExistsException e) {
            LOG.infof("Ignoring a repeated launch of job %d", launch.jobId());
            return LaunchOutcome.DUPLICATE;
        } catch (IOException e) {
            return launchFailed(dir, "cannot create job directory " + dir.path() + ": " + reason(e));
        }
        try {
            Files.write(dir.file(JobDir.LAUNCH), Json.MAPPER.writeValueAsBytes(launch));
        } catch (IOException e) {
            return launchFailed(dir, "cannot write " + dir.file(JobDir.LAUNCH) + ": " + reason(e));
        }
        try {
            Process process = startWrapper(dir, launch);
            long start = ProcFs.startTicks(process.pid()).orElse(0L);
            RunningJob job = new RunningJob(dir, process, process.pid(), start);
            running.put(launch.jobId(), job);
            scheduleTimeLimit(job, launch.timeLimitMinutes(), Instant.now());
            LOG.infof("Launched job %d (wrapper pid %d)", launch.jobId(), process.pid());
            try {
                sink.started(new StepStarted(launch.jobId(), BATCH_STEP, node, Instant.now(), process.pid()));
            } catch (Exception e) {
                // the job runs anyway; its StepFinished still follows
                LOG.warnf(e, "Could not publish StepStarted for job %d", launch.jobId());
            }
            return LaunchOutcome.LAUNCHED;
        } catch (LaunchFailure e) {
            return launchFailed(dir, e.getMessage());
        }
    }

    /**
     * scancel or time limit: SIGCONT and SIGTERM to the script's process group now, SIGKILL to the group and to
     * everything below the wrapper after {@code wait}. The end is reported with {@code reason} as its state.
     *
     * @return false when the job does not run here
     */
    public boolean signal(long jobId, String reason, Duration wait) {
        RunningJob job = running.get(jobId);
        if (job == null || job.report != null) {
            return false;
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
        Optional<Long> pgid = job.dir.scriptPid();
        if (pgid.isPresent()) {
            ProcFs.signalGroup(pgid.get(), "CONT");
            ProcFs.signalGroup(pgid.get(), "TERM");
        } else {
            // the wrapper has not forked yet or not said so: signal what is there one by one
            ProcFs.descendants(job.wrapperPid).forEach(h -> ProcFs.signal(h.pid(), "TERM"));
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

    private Process startWrapper(JobDir dir, LaunchRequested launch) throws LaunchFailure {
        JobSpec spec = launch.spec();
        if (spec == null || spec.script() == null) {
            throw new LaunchFailure("no batch script given");
        }
        if (spec.workDir() == null || spec.workDir().isBlank()) {
            throw new LaunchFailure("no working directory given");
        }
        Path workDir = Path.of(spec.workDir());
        if (!Files.isDirectory(workDir)) {
            throw new LaunchFailure("cannot chdir to " + workDir + ": "
                    + (Files.exists(workDir) ? "Not a directory" : "No such file or directory"));
        }
        String name = JobEnvironment.jobName(spec);
        String user = launch.owner() == null ? System.getProperty("user.name") : launch.owner().user();
        Path out = OutputPaths.resolve(workDir, spec.stdout() == null ? OutputPaths.DEFAULT_STDOUT : spec.stdout(),
                launch.jobId(), name, user, node);
        Path err = spec.stderr() == null ? out
                : OutputPaths.resolve(workDir, spec.stderr(), launch.jobId(), name, user, node);
        truncate(out);
        if (!err.equals(out)) {
            truncate(err);
        }
        Path script = dir.file(JobDir.SCRIPT);
        try {
            Files.createFile(script, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.writeString(script, spec.script());
            dir.writeAtomically(JobDir.STDERR_PATH, err.toString());
        } catch (IOException e) {
            throw new LaunchFailure("cannot write batch script " + script + ": " + reason(e));
        }
        List<String> command = new ArrayList<>(List.of("perl", wrapper.toString(), dir.path().toString()));
        if (!spec.script().startsWith("#!")) {
            command.add("/bin/sh");
        }
        command.add(script.toString());
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        if (err.equals(out)) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
        }
        pb.environment().clear();
        pb.environment().putAll(JobEnvironment.build(baseEnv, launch, node,
                launch.clusterName() == null ? clusterName : launch.clusterName(), workDir.toString()));
        try {
            return pb.start();
        } catch (IOException e) {
            throw new LaunchFailure("cannot start the batch script: " + e.getMessage());
        }
    }

    private static void truncate(Path file) throws LaunchFailure {
        try (OutputStream ignored = Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            // opened only to create, truncate and prove it writable before the script runs
        } catch (IOException e) {
            throw new LaunchFailure("cannot open output file " + file + ": " + reason(e));
        }
    }

    private LaunchOutcome launchFailed(JobDir dir, String why) {
        String detail = "launch failed: " + why;
        LOG.warnf("Job %d: %s", dir.jobId(), detail);
        RunningJob job = new RunningJob(dir, null, -1, 0);
        job.report = failed(dir.jobId(), detail);
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
            signal(job.dir.jobId(), JobState.TIMEOUT.name(), killWait);
        }, Math.max(0, delay), TimeUnit.MILLISECONDS);
    }

    private static Instant startedAt(JobDir dir) {
        try {
            return Files.getLastModifiedTime(dir.file(JobDir.WRAPPER_PID)).toInstant();
        } catch (IOException e) {
            return Instant.now();
        }
    }

    /** One round of watching: sample, detect ends, publish pending reports. */
    void monitor() {
        for (RunningJob job : running.values()) {
            try {
                if (job.report == null) {
                    watch(job);
                }
                if (job.report != null) {
                    publish(job);
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "Watching job %d failed; retrying", job.dir.jobId());
            }
        }
    }

    private void watch(RunningJob job) {
        sample(job);
        Optional<JobDir.ExitStatus> status = job.dir.status();
        if (status.isEmpty() && !job.wrapperAlive()) {
            // the wrapper may have written the status just before it went
            status = job.dir.status();
            if (status.isEmpty()) {
                killBelow(job);
                job.report = new StepFinished(job.dir.jobId(), BATCH_STEP, node, Instant.now(),
                        job.endReason != null ? endState(job.endReason) : JobState.FAILED, 1, 0, usage(job, null),
                        "the batch script's wrapper ended without recording an exit status");
                return;
            }
        }
        if (status.isPresent()) {
            // the batch script's end is the job's end: nothing it started may outlive it
            killBelow(job);
            job.report = endReport(job, status.get());
        }
    }

    private StepFinished endReport(RunningJob job, JobDir.ExitStatus s) {
        JobState state = job.endReason != null ? endState(job.endReason)
                : s.exitCode() == 0 && s.signal() == 0 ? JobState.COMPLETED : JobState.FAILED;
        return new StepFinished(job.dir.jobId(), BATCH_STEP, node, s.time(), state, s.exitCode(), s.signal(),
                usage(job, s), null);
    }

    private static Usage usage(RunningJob job, JobDir.ExitStatus s) {
        long user = Math.max(job.userMs, s == null ? 0 : s.cpuUserMs());
        long sys = Math.max(job.systemMs, s == null ? 0 : s.cpuSystemMs());
        return new Usage(user, sys, job.maxRssKb);
    }

    private void publish(RunningJob job) {
        synchronized (job) {
            if (!running.containsKey(job.dir.jobId()) || running.get(job.dir.jobId()) != job) {
                return;
            }
            try {
                sink.finished(job.report);
                job.dir.writeAtomically(JobDir.REPORTED, job.report.state().name());
                running.remove(job.dir.jobId(), job);
                if (job.timeLimit != null) {
                    job.timeLimit.cancel(false);
                }
                LOG.infof("Job %d ended: %s %d:%d", job.dir.jobId(), job.report.state(), job.report.exitCode(),
                        job.report.signal());
            } catch (Exception e) {
                LOG.warnf("Could not report the end of job %d yet: %s", job.dir.jobId(), e.toString());
            }
        }
    }

    /** Adds the current figures of every process below the wrapper to the job's peaks. */
    private void sample(RunningJob job) {
        long user = 0;
        long sys = 0;
        long rss = 0;
        long hwm = 0;
        for (ProcessHandle h : ProcFs.descendants(job.wrapperPid)) {
            Optional<ProcFs.Sample> s = ProcFs.sample(h.pid());
            if (s.isPresent()) {
                user += s.get().userMs();
                sys += s.get().systemMs();
                rss += s.get().rssKb();
                hwm = Math.max(hwm, s.get().hwmKb());
            }
        }
        job.userMs = Math.max(job.userMs, user);
        job.systemMs = Math.max(job.systemMs, sys);
        job.maxRssKb = Math.max(job.maxRssKb, Math.max(rss, hwm));
    }

    private void killAll(RunningJob job) {
        if (running.get(job.dir.jobId()) != job || job.report != null) {
            return;
        }
        job.dir.scriptPid().ifPresent(pgid -> ProcFs.signalGroup(pgid, "KILL"));
        killBelow(job);
    }

    /** SIGKILL to every process below the wrapper (which, as a subreaper, also holds the ones that escaped). */
    private static void killBelow(RunningJob job) {
        if (job.wrapperPid > 0 && job.wrapperAlive()) {
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
        LaunchFailure(String message) {
            super(message);
        }
    }
}
