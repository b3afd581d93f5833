package dev.sluice.runner;

import dev.sluice.infra.KafkaBroker;
import dev.sluice.infra.Ports;
import dev.sluice.infra.Postgres;
import dev.sluice.scheduler.core.config.ClusterConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The background JVM behind {@code ./sluice up}: starts Kafka, PostgreSQL, the services and the node agents in
 * order, waits for each to be ready, records what runs where, and on SIGTERM stops everything in reverse order.
 */
public final class Supervisor {
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final RunnerOptions options;
    private final Layout layout;
    private final Progress progress;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, Long> pids = new LinkedHashMap<>();
    private final List<Process> children = new ArrayList<>();
    private final Map<Process, Component> componentOf = new java.util.concurrent.ConcurrentHashMap<>();
    private KafkaBroker kafka;
    private Postgres postgres;
    private volatile boolean stopping;

    public Supervisor(RunnerOptions options) {
        this.options = options;
        this.layout = new Layout(options.data());
        this.progress = new Progress(layout.progress());
    }

    /** Runs until SIGTERM; returns (with the exit status) only when start-up failed. */
    public int run() throws IOException, InterruptedException {
        Files.createDirectories(layout.logs());
        Files.createDirectories(layout.run());
        Files.writeString(layout.supervisorPid(), Long.toString(ProcessHandle.current().pid()));
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "sluice-stop"));

        CpuSlices.Assignment cpus = CpuSlices.assign(CpuSlices.available(), options.nodes());
        if (cpus.note() != null) {
            progress.emit("NOTE " + cpus.note());
        }
        List<Component> plan = Component.plan(options, cpus, p -> options.freePorts() ? Ports.free() : p);
        for (Component c : plan) {
            if (!options.freePorts() && Ports.isOpen(c.port())) {
                return fail(plan, c, "port " + c.port() + " is already in use (another Sluice, or another program)", false);
            }
        }
        int n = plan.size();
        for (int i = 0; i < n && !stopping; i++) {
            Component c = plan.get(i);
            String step = (i + 1) + " " + n + " " + c.name();
            if (c.isJvmService() && !Files.isRegularFile(c.jar())) {
                if (options.skipMissing()) {
                    progress.emit("SKIPPED " + step + " " + options.repo().relativize(c.jar()) + " is not built");
                    continue;
                }
                return fail(plan, c, options.repo().relativize(c.jar()) + " is missing: build it with ./mvnw -B install -DskipTests", false);
            }
            progress.emit("START " + step);
            Instant t0 = Instant.now();
            try {
                switch (c.kind()) {
                    case KAFKA -> startKafka(c);
                    case POSTGRES -> startPostgres(c);
                    case SERVICE, NODE -> startService(c);
                }
            } catch (RuntimeException e) {
                return fail(plan, c, e.getMessage() == null ? e.toString() : e.getMessage());
            }
            progress.emit("READY " + step + " " + Duration.between(t0, Instant.now()).toMillis());
            writeState(plan);
        }
        if (stopping) {
            return 1;
        }
        writeEndpoints(plan);
        progress.emit("UP");
        watch(plan);
        return 0;
    }

    private int fail(List<Component> plan, Component c, String why) {
        return fail(plan, c, why, true);
    }

    private int fail(List<Component> plan, Component c, String why, boolean pointToLog) {
        int i = plan.indexOf(c) + 1;
        if (stopping) {
            // A deliberate stop (./sluice down) during start-up is not a failure of the component.
            progress.emit("FAILED " + i + " " + plan.size() + " " + c.name() + " stopped before it was ready");
            return 1;
        }
        progress.emit("FAILED " + i + " " + plan.size() + " " + c.name() + " " + why + (pointToLog ? " (log: " + logOf(c) + ")" : ""));
        System.err.println("sluice: " + c.name() + " failed: " + why);
        stopAll();
        return 1;
    }

    Path logOf(Component c) {
        return switch (c.kind()) {
            case KAFKA -> layout.kafka().resolve("broker.log");
            case POSTGRES -> layout.log("supervisor");
            default -> layout.log(c.name());
        };
    }

    private void startKafka(Component c) {
        kafka = KafkaBroker.start(layout.kafka(), c.port());
        pids.put(c.name(), kafka.pid());
        linkLog("kafka", layout.kafka().resolve("broker.log"));
    }

    private void startPostgres(Component c) {
        postgres = Postgres.start(layout.postgres(), c.port());
        for (String[] s : Component.SERVICES) {
            postgres.ensureDatabase(s[0]);
        }
        Path pidFile = layout.postgres().resolve("data/postmaster.pid");
        try {
            pids.put(c.name(), Long.parseLong(Files.readAllLines(pidFile).getFirst().trim()));
        } catch (IOException | RuntimeException e) {
            pids.put(c.name(), -1L);
        }
        try {
            if (!Files.exists(layout.clusterConfig())) {
                Files.writeString(layout.clusterConfig(), clusterConfig());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The first start's sluice.conf. With fake GPUs each node gets a NodeName line with its Gres, since the
     * scheduler places GPUs from NodeName lines (as slurmctld does from slurm.conf), not from what agents announce.
     */
    String clusterConfig() {
        StringBuilder conf = new StringBuilder(ClusterConfig.LOCAL_DEFAULT);
        if (options.slurmdTimeout() != null) {
            conf.append("# ./sluice up --slurmd-timeout: a node whose agent is silent this long goes DOWN\n");
            conf.append("SlurmdTimeout=").append(options.slurmdTimeout()).append('\n');
        }
        if (options.gpus() != null) {
            if (conf.length() > 0 && conf.charAt(conf.length() - 1) != '\n') {
                conf.append('\n');
            }
            conf.append("# ./sluice up --gpus-per-node ").append(options.gpus()).append('\n');
            for (int i = 1; i <= options.nodes(); i++) {
                conf.append("NodeName=node%02d Gres=%s\n".formatted(i, options.gpus().gres()));
            }
        }
        return conf.toString();
    }

    /** The command line of a service or node agent JVM. */
    List<String> command(Component c) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-Dquarkus.http.port=" + c.port(),
                // The local stack has no authentication: keep every listener on loopback.
                "-Dquarkus.http.host=127.0.0.1",
                "-Dkafka.bootstrap.servers=" + kafka.bootstrapServers(),
                "-Dsluice.cluster-config=" + layout.clusterConfig()));
        if (c.database() != null) {
            cmd.add("-Dquarkus.datasource.username=" + postgres.user());
            cmd.add("-Dquarkus.datasource.password=" + postgres.password());
            cmd.add("-Dquarkus.datasource.jdbc.url=" + postgres.jdbcUrl(c.database()));
            cmd.add("-Dquarkus.datasource.reactive.url=" + postgres.reactiveUrl(c.database()));
        }
        if (c.isScheduler()) {
            // the name GET /api/v1/scheduler/leader reports, so status can tell which component is active
            cmd.add("-Dsluice.scheduler.instance-id=" + c.name());
        }
        if (c.kind() == Component.Kind.NODE) {
            cmd.add("-Dsluice.node.name=" + c.name());
            cmd.add("-Dsluice.node.state-dir=" + layout.nodeState(c.name()));
            // node names and job ids repeat between local stacks (and test clusters) on one host: a cgroup folder
            // of their own keeps one stack's job end from killing the other's job of the same id
            cmd.add("-Dsluice.node.cgroup-parent=" + Commands.cgroupParent(options.data()));
            if (c.cpus() != null) {
                cmd.add("-Dsluice.node.cpus=" + c.cpus());
            }
            if (options.cpusPerNode() != null) {
                cmd.add("-Dsluice.node.virtual-cpus=" + options.cpusPerNode());
            }
            if (options.slurmdTimeout() != null) {
                // several heartbeats per timeout, so one late heartbeat does not take a live node down
                cmd.add("-Dsluice.node.heartbeat-interval=" + Math.max(1, options.slurmdTimeout() / 5) + "s");
            }
            if (options.gpus() != null) {
                cmd.add("-Dsluice.node.gres=" + options.gpus().gres());
                cmd.add("-Dsluice.node.gres-files=" + String.join(",", gpuFiles(c).stream().map(Path::toString).toList()));
            }
            if (options.nodes() > 1) {
                // Agents sharing a host split its memory as they split its CPUs, or each would offer all of it.
                long total = hostMemoryMb();
                if (total > 0) {
                    cmd.add("-Dsluice.node.memory-mb=" + total / options.nodes());
                }
            }
        }
        cmd.add("-jar");
        cmd.add(c.jar().toString());
        return cmd;
    }

    private void startService(Component c) {
        Path log = layout.log(c.name());
        Process p;
        try {
            if (c.kind() == Component.Kind.NODE) {
                Files.createDirectories(layout.nodeState(c.name()));
                if (options.gpus() != null) {
                    makeFakeGpus(c);
                }
            }
            Files.writeString(log, "=== " + Instant.now() + " starting " + c.name() + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            p = new ProcessBuilder(command(c))
                    .directory(options.data().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + c.name() + ": " + e.getMessage(), e);
        }
        synchronized (children) {
            if (stopping) {
                p.destroyForcibly();
                throw new IllegalStateException("stopped while starting");
            }
            children.add(p);
        }
        componentOf.put(p, c);
        pids.put(c.name(), p.pid());
        awaitReady(c, p);
    }

    private void awaitReady(Component c, Process p) {
        URI health = URI.create("http://127.0.0.1:" + c.port() + "/q/health/ready");
        Instant deadline = Instant.now().plus(options.readyTimeout());
        while (Instant.now().isBefore(deadline) && !stopping) {
            if (!p.isAlive()) {
                throw new IllegalStateException("exited with status " + p.exitValue() + " before it was ready");
            }
            if (options.standbyScheduler() && c.isScheduler()) {
                // a standby is never ready in the health sense (it must not get requests): it is ready once it
                // joined the election, or once it is the active one with its state rebuilt
                if (SchedulerLeader.query(http, c.port()).map(SchedulerLeader::ready).orElse(false)) {
                    return;
                }
                sleep(250);
                continue;
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(3)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            sleep(250);
        }
        throw new IllegalStateException("not ready after " + options.readyTimeout().toSeconds() + " s");
    }

    /**
     * After start-up: a service or node agent that dies is started again (as systemd's Restart=on-failure would),
     * after a second's pause, and reported in the supervisor log; one that keeps dying (5 times within 2 minutes)
     * is left down and shows as dead in {@code ./sluice status}. Kafka and PostgreSQL are not restarted.
     */
    private void watch(List<Component> plan) {
        Map<String, List<Instant>> deaths = new LinkedHashMap<>();
        Map<String, Component> heldDown = new LinkedHashMap<>();
        while (!stopping) {
            for (var it = heldDown.entrySet().iterator(); it.hasNext(); ) {
                var held = it.next();
                if (!Files.exists(layout.held(held.getKey()))) {
                    it.remove();
                    try {
                        startService(held.getValue());
                        writeState(plan);
                        System.err.println("sluice: " + held.getKey() + " started again as pid " + pids.get(held.getKey()));
                    } catch (RuntimeException e) {
                        System.err.println("sluice: starting " + held.getKey() + " failed: " + e.getMessage());
                    }
                }
            }
            List<Process> dead = new ArrayList<>();
            synchronized (children) {
                for (Process p : children) {
                    if (!p.isAlive()) {
                        dead.add(p);
                    }
                }
                children.removeAll(dead);
            }
            for (Process p : dead) {
                Component c = componentOf.remove(p);
                System.err.println("sluice: " + (c == null ? "child" : c.name()) + " (pid " + p.pid()
                        + ") exited with status " + p.exitValue());
                if (c == null || stopping) {
                    continue;
                }
                if (Files.exists(layout.held(c.name()))) {
                    // ./sluice kill: stays down (as a crashed node would) until ./sluice start
                    System.err.println("sluice: " + c.name() + " stays down until ./sluice start " + c.name());
                    heldDown.put(c.name(), c);
                    continue;
                }
                List<Instant> recent = deaths.computeIfAbsent(c.name(), k -> new ArrayList<>());
                recent.removeIf(t -> t.isBefore(Instant.now().minus(Duration.ofMinutes(2))));
                recent.add(Instant.now());
                if (recent.size() > 5) {
                    System.err.println("sluice: " + c.name() + " keeps exiting; leaving it down (log: " + logOf(c) + ")");
                    continue;
                }
                sleep(1000);
                if (options.standbyScheduler() && c.isScheduler()) {
                    // Restarted only once the other one took over, so it comes back as the standby and the
                    // takeover is the standby's, not a race with the restart.
                    awaitTakeover(plan, c);
                }
                try {
                    startService(c);
                    writeState(plan);
                    System.err.println("sluice: " + c.name() + " restarted as pid " + pids.get(c.name()));
                } catch (RuntimeException e) {
                    System.err.println("sluice: restarting " + c.name() + " failed: " + e.getMessage());
                }
            }
            if (options.standbyScheduler() && ++rounds % 4 == 0) {
                followActiveScheduler(plan);
            }
            sleep(500);
        }
    }

    private long rounds;
    /** The scheduler component the election made active; the CLI's scheduler.url names it. */
    private volatile String activeScheduler = "scheduler";
    private static final Duration TAKEOVER_WAIT = Duration.ofSeconds(90);

    private void awaitTakeover(List<Component> plan, Component dead) {
        Instant deadline = Instant.now().plus(TAKEOVER_WAIT);
        while (Instant.now().isBefore(deadline) && !stopping) {
            if (followActiveScheduler(plan) && !activeScheduler.equals(dead.name())) {
                return;
            }
            sleep(500);
        }
        System.err.println("sluice: no scheduler took over from " + dead.name() + " within "
                + TAKEOVER_WAIT.toSeconds() + " s; restarting it");
    }

    /**
     * Finds the active scheduler; when it changed, points the CLI at it ({@code scheduler.url} in the endpoints
     * file) and says so in the supervisor log. False when no scheduler is active right now.
     */
    private boolean followActiveScheduler(List<Component> plan) {
        for (Component c : plan) {
            if (!c.isScheduler() || !pids.containsKey(c.name())) {
                continue;
            }
            if (SchedulerLeader.query(http, c.port()).map(SchedulerLeader::isActive).orElse(false)) {
                if (!c.name().equals(activeScheduler)) {
                    activeScheduler = c.name();
                    System.err.println("sluice: " + c.name() + " (pid " + pids.get(c.name()) + ", port " + c.port()
                            + ") is now the active scheduler");
                    writeEndpoints(plan);
                    writeState(plan);
                }
                return true;
            }
        }
        return false;
    }

    /** Reverse order: node agents, services, then PostgreSQL and Kafka. SIGTERM first, SIGKILL after a grace time. */
    synchronized void stopAll() {
        if (stopping && children.isEmpty() && kafka == null && postgres == null) {
            return;
        }
        stopping = true;
        List<Process> toStop;
        synchronized (children) {
            toStop = new ArrayList<>(children.reversed());
            children.clear();
        }
        for (Process p : toStop) {
            p.destroy();
            try {
                if (!p.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (RuntimeException e) {
                System.err.println("sluice: stopping PostgreSQL: " + e.getMessage());
            }
            postgres = null;
        }
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
        try {
            Files.deleteIfExists(layout.state());
            Files.deleteIfExists(layout.supervisorPid());
        } catch (IOException e) {
            // The pid file names a dead process then; up and status check liveness anyway.
        }
    }

    private void writeState(List<Component> plan) {
        Properties p = new Properties();
        p.setProperty("supervisor.pid", Long.toString(ProcessHandle.current().pid()));
        List<String> names = new ArrayList<>();
        for (Component c : plan) {
            Long pid = pids.get(c.name());
            if (pid == null) {
                continue;
            }
            names.add(c.name());
            p.setProperty(c.name() + ".pid", Long.toString(pid));
            p.setProperty(c.name() + ".port", Integer.toString(c.port()));
            p.setProperty(c.name() + ".kind", c.kind().name());
            p.setProperty(c.name() + ".log", logOf(c).toString());
        }
        p.setProperty("components", String.join(",", names));
        if (options.standbyScheduler()) {
            p.setProperty("scheduler.active", activeScheduler);
        }
        store(p, layout.state(), "Sluice local stack: what runs where (written by the supervisor)");
    }

    private void writeEndpoints(List<Component> plan) {
        Properties p = new Properties();
        for (Component c : plan) {
            if (!pids.containsKey(c.name())) {
                continue;
            }
            switch (c.kind()) {
                case KAFKA -> p.setProperty("kafka.bootstrap.servers", kafka.bootstrapServers());
                case POSTGRES -> p.setProperty("postgres.jdbc.url", postgres.jdbcUrl("postgres"));
                case SERVICE, NODE -> p.setProperty(c.name() + ".url", "http://127.0.0.1:" + c.port());
            }
        }
        for (Component c : plan) {
            if (c.name().equals(activeScheduler) && pids.containsKey(c.name())) {
                // the CLI (squeue, sinfo, scontrol) asks the active scheduler, whichever that is now
                p.setProperty("scheduler.url", "http://127.0.0.1:" + c.port());
            }
        }
        store(p, layout.endpoints(), "Sluice local stack endpoints (loopback only, no authentication)");
    }

    private static void store(Properties p, Path file, String comment) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (var w = Files.newBufferedWriter(tmp)) {
            p.store(w, comment);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void linkLog(String name, Path target) {
        Path link = layout.log(name);
        try {
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, link.getParent().relativize(target));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Only a convenience: status names the real file.
        }
    }

    /** NVIDIA's character-device major: what the agent's devices cgroup denies for GPUs a job was not given. */
    static final int NVIDIA_MAJOR = 195;

    /**
     * The fake GPUs of a node agent: {@code <node state>/gpus/nvidia<minor>}, minors numbered across the nodes
     * (node01 0..N-1, node02 N..2N-1, ...) so that no two nodes on this host share a device.
     */
    List<Path> gpuFiles(Component c) {
        int count = options.gpus().count();
        int index = nodeIndex(c.name());
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            files.add(layout.nodeState(c.name()).resolve("gpus").resolve("nvidia" + (index * count + i)));
        }
        return files;
    }

    static int nodeIndex(String nodeName) {
        String digits = nodeName.replaceAll("\\D", "");
        return digits.isEmpty() ? 0 : Integer.parseInt(digits) - 1;
    }

    /** Character devices made with mknod, as the node agent's own GPU tests make them (needs root, as the agent does). */
    void makeFakeGpus(Component c) throws IOException {
        for (Path f : gpuFiles(c)) {
            Files.createDirectories(f.getParent());
            String minor = f.getFileName().toString().substring("nvidia".length());
            Files.deleteIfExists(f);
            Process p = new ProcessBuilder("mknod", "-m", "0666", f.toString(), "c", Integer.toString(NVIDIA_MAJOR), minor)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            try {
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("cannot make fake GPU " + f + " (mknod needs root): " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        }
    }

    static long hostMemoryMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: let each agent find its own figure.
        }
        return -1;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
