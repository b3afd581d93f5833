package dev.sluice.runner;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The user-facing side of the runner: up (launch the supervisor and follow its progress), down, status. */
public final class Commands {
    private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(120);

    private final RunnerOptions options;
    private final Layout layout;
    private final PrintStream out;
    private final PrintStream err;

    public Commands(RunnerOptions options, PrintStream out, PrintStream err) {
        this.options = options;
        this.layout = new Layout(options.data());
        this.out = out;
        this.err = err;
    }

    Optional<ProcessHandle> supervisor() {
        return StateFile.read(layout).supervisorPid().flatMap(pid -> StateFile.ours(pid, options.data()));
    }

    public int up(String classpath) throws IOException, InterruptedException {
        Optional<ProcessHandle> running = supervisor();
        if (running.isPresent()) {
            out.println("Sluice is already running (supervisor pid " + running.get().pid() + ", data in "
                    + options.data() + "). See ./sluice status, or ./sluice down to stop it.");
            return 0;
        }
        Files.createDirectories(layout.logs());
        Files.createDirectories(layout.run());
        Files.deleteIfExists(layout.state());
        Files.deleteIfExists(layout.endpoints());
        new Progress(layout.progress()).reset();

        Path supervisorLog = layout.log("supervisor");
        List<String> cmd = new ArrayList<>();
        // Its own session, so that Ctrl-C on up (or closing the terminal) does not stop the stack.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dsluice.repo=" + options.repo(), "-cp", classpath, RunnerMain.class.getName(), "supervise"));
        cmd.addAll(options.toArgs());
        out.println("Starting Sluice in " + options.data() + " (logs in " + layout.logs() + ")");
        Process p = new ProcessBuilder(cmd)
                .directory(options.data().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(supervisorLog.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        return follow(p, supervisorLog);
    }

    /** Shows the supervisor's progress lines as they come, until it is up, failed, or gone. */
    private int follow(Process supervisor, Path supervisorLog) throws IOException, InterruptedException {
        long offset = 0;
        StringBuilder partial = new StringBuilder();
        while (true) {
            boolean alive = supervisor.isAlive();
            try (RandomAccessFile f = new RandomAccessFile(layout.progress().toFile(), "r")) {
                if (f.length() > offset) {
                    f.seek(offset);
                    byte[] buf = new byte[(int) (f.length() - offset)];
                    f.readFully(buf);
                    offset += buf.length;
                    partial.append(new String(buf, StandardCharsets.UTF_8));
                }
            }
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
                String line = partial.substring(0, nl);
                partial.delete(0, nl + 1);
                Integer done = show(line);
                if (done != null) {
                    if (done != 0) {
                        // The supervisor is stopping what it started; a retry right after must find a clean slate.
                        if (!supervisor.waitFor(DOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                            err.println("sluice: error: the supervisor is still stopping; run ./sluice down");
                        }
                    }
                    return done;
                }
            }
            if (!alive) {
                out.println();
                err.println("sluice: error: the supervisor exited (status " + supervisor.exitValue()
                        + ") before the stack was up; see " + supervisorLog);
                return 1;
            }
            Thread.sleep(200);
        }
    }

    /** The component whose START line is printed and waits for its outcome on the same line. */
    private String started;

    /** Prints one progress event; returns the exit status when the start-up is over. */
    private Integer show(String line) {
        String[] w = line.split(" ", 5);
        switch (w[0]) {
            case "NOTE" -> out.println("note: " + line.substring(5));
            case "START" -> {
                out.print(prefix(w[1], w[2], w[3]));
                out.flush();
                started = w[3];
            }
            case "READY" -> out.println("ready (%.1f s)".formatted(Long.parseLong(w[4]) / 1000.0));
            case "SKIPPED" -> out.println(prefix(w[1], w[2], w[3]) + "skipped: " + (w.length > 4 ? w[4] : ""));
            case "FAILED" -> {
                out.println((w[3].equals(started) ? "" : prefix(w[1], w[2], w[3])) + "FAILED");
                err.println("sluice: error: " + w[3] + ": " + (w.length > 4 ? w[4] : "failed"));
                err.println("sluice: error: the stack was stopped; fix the cause and run ./sluice up again.");
                return 1;
            }
            case "UP" -> {
                printWelcome();
                return 0;
            }
            default -> {
            }
        }
        return null;
    }

    private String prefix(String i, String n, String name) {
        String head = "[" + i + "/" + n + "] " + name + " ";
        return head + ".".repeat(Math.max(2, 24 - head.length())) + " ";
    }

    private void printWelcome() {
        java.util.Properties ep = new java.util.Properties();
        try (var r = Files.newBufferedReader(layout.endpoints())) {
            ep.load(r);
        } catch (IOException e) {
            // Printed below as "not started".
        }
        out.println();
        out.println("Sluice is up. It listens on loopback (127.0.0.1) only and has no authentication:");
        out.println("do not expose these ports. " + OPEN_STACK);
        out.println("  (the production stack: OIDC through Keycloak, Kafka with SASL and ACLs; docs/security.md)");
        out.println("  submit API      " + ep.getProperty("submit.url", "(not started)") + "/api/v1/jobs");
        out.println("  accounting API  " + ep.getProperty("accounting.url", "(not started)") + "/api/v1/sacct");
        out.println("  Kafka           " + ep.getProperty("kafka.bootstrap.servers", "(not started)"));
        out.println("  data            " + options.data() + "   logs: " + layout.logs());
        Path defaultData = options.repo().resolve(".sluice");
        out.println();
        out.println("Submit a first job:");
        if (!options.data().equals(defaultData)) {
            out.println("  export SLUICE_HOME=" + options.data());
        }
        out.println("  bin/sbatch examples/hello_world.sh");
        out.println("  bin/squeue");
        out.println("  bin/sacct");
        out.println("  bin/srun " + (options.nodes() > 1 ? "-N " + options.nodes() + " -n " + options.nodes() : "-n 1")
                + " --label hostname");
        out.println("Stop it with ./sluice down" + (options.data().equals(defaultData) ? "" : " --data " + options.data())
                + "; ./sluice status shows each component.");
    }

    public int down() throws InterruptedException {
        Optional<ProcessHandle> sup = supervisor();
        StateFile state = StateFile.read(layout);
        if (sup.isPresent()) {
            ProcessHandle h = sup.get();
            out.println("Stopping Sluice (supervisor pid " + h.pid() + ") ...");
            h.destroy();
            try {
                h.onExit().get(DOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                err.println("sluice: the supervisor did not stop within " + DOWN_TIMEOUT.toSeconds() + " s; killing it");
                h.destroyForcibly();
            }
        }
        // Whatever outlived the supervisor (killed with SIGKILL, or the step above) is stopped one by one.
        int leftovers = 0;
        for (StateFile.Entry e : state.components().reversed()) {
            Optional<ProcessHandle> child = StateFile.ours(e.pid(), options.data());
            if (child.isPresent()) {
                leftovers++;
                child.get().destroy();
                try {
                    child.get().onExit().get(20, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ex) {
                    child.get().destroyForcibly();
                }
            }
        }
        // The jobs' own processes outlive their agents (as jobs outlive slurmd); a local stack that is stopped stops
        // them too, found through the stack's own cgroup parent.
        int jobProcesses = JobCgroups.killAll(Path.of("/sys/fs/cgroup"), cgroupParent(options.data()));
        if (sup.isEmpty() && leftovers == 0 && jobProcesses == 0) {
            out.println("Sluice is not running (data in " + options.data() + ").");
            return 0;
        }
        if (leftovers > 0) {
            out.println("Stopped " + leftovers + " leftover process(es).");
        }
        if (jobProcesses > 0) {
            out.println("Stopped " + jobProcesses + " process(es) of jobs still running.");
        }
        try {
            Files.deleteIfExists(layout.state());
            Files.deleteIfExists(layout.supervisorPid());
        } catch (IOException e) {
            // Harmless: liveness is checked on every read.
        }
        out.println("Sluice stopped. Data kept in " + options.data() + ".");
        return 0;
    }

    /** The cgroup folder the stack's node agents put their jobs under (one per data folder). */
    static String cgroupParent(Path data) {
        return "sluice-" + Integer.toHexString(data.toString().hashCode());
    }

    /** 0: running and every component ready; 1: running but something is not; 3: not running. */
    /** The local stack never turns authentication on; it says so wherever it reports itself. */
    static final String OPEN_STACK = "authentication: OFF (open REST APIs, Kafka without SASL or ACLs)";

    /**
     * {@code ./sluice kill <component>}: SIGKILL, as a crash or a pulled plug would, and the supervisor leaves it
     * down until {@code ./sluice start <component>}. Its jobs' processes are not touched (slurmstepd outlives a dead
     * slurmd too): the scheduler decides their fate after SlurmdTimeout.
     */
    public int kill(String component) throws InterruptedException {
        StateFile state = StateFile.read(layout);
        Optional<StateFile.Entry> entry = state.components().stream().filter(e -> e.name().equals(component))
                .findFirst();
        if (supervisor().isEmpty() || entry.isEmpty()) {
            err.println("sluice: error: no running component " + component + " (see ./sluice status)");
            return 2;
        }
        Optional<ProcessHandle> p = StateFile.ours(entry.get().pid(), options.data());
        if (p.isEmpty()) {
            err.println("sluice: error: " + component + " is not running");
            return 1;
        }
        try {
            java.nio.file.Files.createDirectories(layout.run());
            java.nio.file.Files.writeString(layout.held(component), "");
        } catch (java.io.IOException e) {
            err.println("sluice: error: cannot write " + layout.held(component) + ": " + e.getMessage());
            return 1;
        }
        p.get().destroyForcibly();
        try {
            p.get().onExit().get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            err.println("sluice: error: " + component + " (pid " + p.get().pid() + ") did not die");
            return 1;
        }
        out.println("Killed " + component + " (pid " + p.get().pid() + "); it stays down until ./sluice start "
                + component);
        return 0;
    }

    /** {@code ./sluice start <component>}: undoes {@code ./sluice kill}; the supervisor starts it again. */
    public int start(String component) {
        try {
            if (!java.nio.file.Files.deleteIfExists(layout.held(component))) {
                err.println("sluice: error: " + component + " was not stopped with ./sluice kill");
                return 2;
            }
        } catch (java.io.IOException e) {
            err.println("sluice: error: cannot remove " + layout.held(component) + ": " + e.getMessage());
            return 1;
        }
        out.println("Starting " + component + " again (./sluice status shows when it is ready)");
        return 0;
    }

    public int status() {
        Optional<ProcessHandle> sup = supervisor();
        StateFile state = StateFile.read(layout);
        if (sup.isEmpty()) {
            out.println("Sluice is not running (data in " + options.data() + ").");
            return 3;
        }
        out.println("Sluice is running (supervisor pid " + sup.get().pid() + "), data in " + options.data());
        out.println("%-17s %8s %6s  %s".formatted("COMPONENT", "PID", "PORT", "STATE"));
        boolean allGood = true;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<String> active = new ArrayList<>();
        List<String> standby = new ArrayList<>();
        // ./sluice up --standby-scheduler: two schedulers, of which only the active one is ready in the health sense
        boolean pair = state.components().stream().filter(Commands::isScheduler).count() > 1;
        for (StateFile.Entry e : state.components()) {
            boolean alive = StateFile.ours(e.pid(), options.data()).isPresent() || (e.pid() <= 0);
            Optional<SchedulerLeader> leader = alive && pair && isScheduler(e)
                    ? SchedulerLeader.query(http, e.port()) : Optional.empty();
            boolean ready = alive && (leader.isPresent() ? leader.get().ready() : ready(http, e));
            allGood &= alive && ready;
            String what = !alive ? "DEAD (see " + e.log() + ")" : !ready ? "alive, not ready" : "alive, ready";
            if (ready && leader.isPresent()) {
                String where = e.name() + " (pid " + e.pid() + ", port " + e.port() + ")";
                if (leader.get().isActive()) {
                    what = "alive, active";
                    active.add(where);
                } else {
                    what = "alive, standby";
                    standby.add(where);
                }
            }
            out.println("%-17s %8s %6d  %s".formatted(e.name(), e.pid() > 0 ? Long.toString(e.pid()) : "-", e.port(),
                    what));
        }
        if (pair) {
            out.println("Scheduler: active " + (active.isEmpty() ? "none (a takeover may be under way)"
                    : String.join(", ", active)) + "; standby " + (standby.isEmpty() ? "none" : String.join(", ", standby)));
        }
        if (state.components().isEmpty()) {
            out.println("(starting: no component is ready yet)");
            allGood = false;
        }
        out.println("Access: " + OPEN_STACK);
        out.println("Logs: " + layout.logs());
        return allGood ? 0 : 1;
    }

    private static boolean isScheduler(StateFile.Entry e) {
        return e.kind() == Component.Kind.SERVICE
                && (e.name().equals("scheduler") || e.name().equals(Component.STANDBY_SCHEDULER));
    }

    private static boolean ready(HttpClient http, StateFile.Entry e) {
        if (e.kind() == Component.Kind.KAFKA || e.kind() == Component.Kind.POSTGRES) {
            return dev.sluice.infra.Ports.isOpen(e.port());
        }
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.port() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException ex) {
            return false;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String since(Instant t0) {
        return "%.1f s".formatted(Duration.between(t0, Instant.now()).toMillis() / 1000.0);
    }
}
