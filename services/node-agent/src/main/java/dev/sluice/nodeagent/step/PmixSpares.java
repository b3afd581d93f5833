package dev.sluice.nodeagent.step;

import dev.sluice.pmix.PmixStepHelper;
import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One warm PMIx helper per node, started before any step needs it, so that a {@code --mpi=pmix} step does not pay a
 * cold helper JVM (binding libpmix alone costs 0.5-0.9 s of a fresh JVM here; a prestarted helper hands its first
 * rank to the kernel 30-100 ms after it got its step).
 *
 * <p>A spare runs as the agent's user (root on a real node) because the step's user is not known when it starts.
 * That is Slurm's own arrangement (slurmstepd hosts the PMIx server as root and forks the ranks): the spare only
 * hosts the PMIx server side; every rank is exec'ed through sluice-stepd as the job's user (uid, gid, groups),
 * inside the step's cgroup, on the rank's own CPUs, with the step's environment, never the spare's
 * ({@link dev.sluice.pmix.RankLaunch}); the server's directory is the spare's private one (0700 root inside a 0711
 * directory) until hand-off and the user's alone after; the namespace registers the user's uid/gid, which libpmix
 * checks against each connecting rank. The agent hands the step over on the spare's stdin, a pipe only it holds.
 *
 * <p>A spare is used once: when its step's helper exits, a fresh one is started. {@link #close()} (agent stop)
 * ends the spare and removes its directory.
 */
public final class PmixSpares implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PmixSpares.class);
    static final String READY = "sluice-pmix: ready";
    /** A spare still starting is waited for this long: a cold helper would take about as long. */
    private static final long WAIT_MS = 60_000;

    private final String node;
    private final List<String> classpath;
    private Spare pending;
    private boolean closed;
    private final List<Spare> live = new ArrayList<>();

    /** A prestarted helper: its process (pipes to the agent) and its private directory. */
    public static final class Spare {
        final Process process;
        final Path dir;
        final CompletableFuture<Boolean> ready = new CompletableFuture<>();
        /** handed a step: its directory holds the step's status file until the step's share removes it */
        volatile boolean taken;

        Spare(Process process, Path dir) {
            this.process = process;
            this.dir = dir;
        }

        public Process process() {
            return process;
        }

        /** Root-owned, traversable but not listable by others: the status, address and rank launch files go here. */
        public Path dir() {
            return dir;
        }
    }

    private PmixSpares(String node, List<String> classpath) {
        this.node = node;
        this.classpath = classpath;
    }

    /** Spares for this node, the first one starting now; empty where pmix cannot run (then steps say why). */
    public static Optional<PmixSpares> start(String node) {
        if (PmixLaunch.unavailable().isPresent()) {
            return Optional.empty();
        }
        PmixSpares s = new PmixSpares(node, PmixLaunch.codeSources().stream().map(Path::toString).toList());
        s.replenish();
        return Optional.of(s);
    }

    /**
     * A ready spare for a step, waiting for one that is still starting; empty (the step starts a cold helper)
     * when none is starting or it failed. The next spare starts once this one's helper has exited.
     */
    public Optional<Spare> take() {
        Spare s;
        synchronized (this) {
            s = pending;
            pending = null;
        }
        if (s == null) {
            return Optional.empty();
        }
        boolean ok;
        try {
            ok = s.ready.get(WAIT_MS, TimeUnit.MILLISECONDS) && s.process.isAlive();
        } catch (Exception e) {
            ok = false;
        }
        if (!ok) {
            LOG.warnf("The spare PMIx helper of %s was not ready; this step starts a cold one", node);
            s.process.destroyForcibly();
            return Optional.empty();
        }
        s.taken = true;
        return Optional.of(s);
    }

    /** The spare starting or ready now, if any (tests). */
    synchronized Optional<Spare> current() {
        return Optional.ofNullable(pending);
    }

    /** Starts a spare unless one is starting or ready. */
    synchronized void replenish() {
        if (closed || pending != null) {
            return;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("sluice-pmix-spare-" + node.replaceAll("[^A-Za-z0-9_.-]", "_") + "-");
            // the user's ranks must traverse this to reach the server's directory after hand-off; nothing in it
            // can be listed, and its files are private or carry nothing secret
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                            .toString(), "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC", "-Xmx128m", "-Xss512k", "-cp", String.join(":", classpath),
                    PmixStepHelper.class.getName(), "--prestart", "--node-name", node, "--work-dir", dir.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
            String timing = System.getenv("SLUICE_PMIX_TIMING");
            if (timing != null) {
                pb.environment().put("SLUICE_PMIX_TIMING", timing);
            }
            Spare s = new Spare(pb.start(), dir);
            pending = s;
            live.add(s);
            Thread.ofPlatform().daemon().name("sluice-pmix-spare-" + node).start(() -> awaitReady(s));
            s.process.onExit().thenRun(() -> ended(s));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Could not start a spare PMIx helper on %s: %s", node, e.toString());
            delete(dir);
        }
    }

    /** Reads the spare's stderr up to its ready line, byte by byte, leaving the rest for the step's output. */
    private void awaitReady(Spare s) {
        InputStream err = s.process.getErrorStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int c;
            while ((c = err.read()) >= 0) {
                if (c == '\n') {
                    String text = line.toString(StandardCharsets.UTF_8);
                    if (text.equals(READY)) {
                        s.ready.complete(true);
                        return;
                    }
                    LOG.infof("Spare PMIx helper of %s: %s", node, text);
                    line.reset();
                } else if (line.size() < 4096) {
                    line.write(c);
                }
            }
        } catch (IOException e) {
            // the spare died
        }
        s.ready.complete(false);
    }

    private void ended(Spare s) {
        s.ready.complete(false);
        synchronized (this) {
            live.remove(s);
            if (pending == s) {
                pending = null;
            }
        }
        if (!s.taken) {
            // died before serving anything (or stopped by close): no restart loop
            delete(s.dir);
            if (!closed) {
                LOG.warnf("The spare PMIx helper of %s ended before serving a step (exit %d)", node,
                        s.process.exitValue());
            }
            return;
        }
        replenish();
    }

    /** The step's share is done with a taken spare's directory (its status file read). */
    static void release(Spare s) {
        delete(s.dir);
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // already gone
        }
    }

    /** Agent stop: every spare ends (an idle one on EOF, one serving a step is killed with its step's agent). */
    @Override
    public void close() {
        List<Spare> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(live);
            pending = null;
        }
        for (Spare s : all) {
            try {
                s.process.getOutputStream().close();
            } catch (IOException e) {
                // gone already
            }
        }
        for (Spare s : all) {
            try {
                if (!s.process.waitFor(2, TimeUnit.SECONDS)) {
                    s.process.destroyForcibly();
                    s.process.waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                s.process.destroyForcibly();
            }
            delete(s.dir);
        }
    }
}
