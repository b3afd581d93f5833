package dev.sluice.cli.srun;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.contracts.api.SbatchOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;

/**
 * srun outside an allocation (docs/steps.md): submits a job, through submit as sbatch does, whose batch script runs
 * the same srun inside the allocation, with {@code SLUICE_SRUN_ATTACH=1} and a fresh job token; waits for it to
 * run (saying so as Slurm does when it has to wait), streams the batch script's stdout and stderr from the first
 * node's agent, and exits with the job's exit code.
 */
final class JobAttach {
    static final Duration POLL = Duration.ofMillis(250);
    /** Pending this long without a reason counts as waiting: the scheduler has had its chance to place the job. */
    static final Duration QUEUED_AFTER = Duration.ofSeconds(2);

    /** Step options the inner srun gets again; every other srun option either shapes the allocation or is local. */
    static final List<String> STEP_OPTIONS = List.of("ntasks", "nodes", "ntasks-per-node", "cpus-per-task",
            "gpus-per-task", "distribution", "cpu-bind", "mpi", "kill-on-bad-exit", "nodelist", "label", "unbuffered",
            "job-name");
    /** sbatch options that must not reach the job: srun reads them differently, or the job gets them otherwise. */
    static final Set<String> NOT_FOR_THE_JOB = Set.of("chdir", "output", "error", "input", "distribution", "help",
            "version", "wait", "ntasks", "job-name", "verbose", "quiet");

    private final Context ctx;
    private final Api api;
    private final SrunOptions options;
    private final StepSpec spec;
    private final boolean quiet;
    private volatile long jobId = -1;
    private volatile boolean running;
    private volatile Instant lastInterrupt = Instant.EPOCH;
    private volatile boolean cancelled;
    /**
     * A private folder for the batch script's stdout and stderr files. The agent's output stream is the way srun
     * shows them; the files are what it reads when that agent serves no output stream (an older agent), which
     * works wherever this folder is visible to the node (the local cluster, a shared /tmp).
     */
    private Path spool;

    JobAttach(Context ctx, Api api, SrunOptions options, StepSpec spec) {
        this.ctx = ctx;
        this.api = api;
        this.options = options;
        this.spec = spec;
        this.quiet = options.has("quiet");
    }

    int run(Consumer<Consumer<String>> signals) {
        String token = newToken();
        Map<String, Object> body = submission(token);
        try {
            Api.Response r = api.post(ctx.endpoints().submit(), "/api/v1/jobs", body);
            if (!r.ok()) {
                ctx.err().println("srun: error: Unable to allocate resources: " + r.error());
                return 1;
            }
            jobId = Api.JSON.readTree(r.body()).path("jobId").asLong(-1);
        } catch (Api.Unreachable e) {
            ctx.err().println("srun: error: Unable to allocate resources: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            ctx.err().println("srun: error: Unable to allocate resources: unexpected answer: " + e.getMessage());
            return 1;
        }
        if (jobId < 0) {
            ctx.err().println("srun: error: Unable to allocate resources: no job id in the answer");
            return 1;
        }
        signals.accept(this::onSignal);

        JsonNode job = awaitStart();
        if (job == null) {
            return 1;
        }
        String node = firstNode(job.path("nodes").asText(""));
        if (node != null) {
            URI agent = agentOf(node);
            if (agent == null) {
                ctx.err().println("srun: error: cannot find the address of node " + node
                        + "'s agent (the scheduler's /api/v1/nodes has none, and no " + node + ".url in endpoints.properties)");
            } else {
                stream(new AgentClient(agent, token));
            }
        }
        JsonNode end = awaitEnd();
        removeSpool();
        if (end == null) {
            return 1;
        }
        String state = end.path("state").asText("");
        int code = end.path("exitCode").asInt(0);
        int signal = end.path("signal").asInt(0);
        int rc = signal > 0 && code == 0 ? 128 + signal : code;
        if (!state.equals("COMPLETED") && !state.equals("FAILED")) {
            ctx.err().println("srun: error: job " + jobId + " ended " + state
                    + (end.hasNonNull("reason") && !end.path("reason").asText().equals("None")
                    ? " (" + end.path("reason").asText() + ")" : ""));
        }
        if (rc == 0 && !state.equals("COMPLETED")) {
            rc = 1;
        }
        return rc;
    }

    Map<String, Object> submission(String token) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("script", script());
        body.put("scriptName", "srun");
        List<String> args = jobArgs();
        // Only where submit is on this host (the local cluster): elsewhere the node would not have this folder.
        if (isLoopback(ctx.endpoints().submit())) {
            try {
                spool = Files.createTempDirectory("sluice-srun-");
                args.add("--output=" + spool.resolve("stdout"));
                args.add("--error=" + spool.resolve("stderr"));
            } catch (IOException | UnsupportedOperationException e) {
                spool = null;
            }
        }
        body.put("args", args);
        body.put("workDir", spec.cwd());
        Map<String, String> env = new LinkedHashMap<>(ctx.env());
        env.put("SLUICE_SRUN_ATTACH", "1");
        env.put("SLUICE_JOB_TOKEN", token);
        body.put("env", env);
        body.put("user", ctx.identity().user());
        body.put("uid", ctx.identity().uid());
        body.put("gid", ctx.identity().gid());
        return body;
    }

    static boolean isLoopback(URI uri) {
        String h = uri.getHost();
        return h != null && (h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]"));
    }

    /** The allocation: every sbatch option srun was given, with the task count srun works out when -n is absent. */
    List<String> jobArgs() {
        List<String> args = new ArrayList<>();
        args.add("--ntasks=" + spec.effectiveTasks());
        String name = spec.jobName();
        if (name == null) {
            // Slurm names an srun-created job after its command.
            String cmd = spec.argv().getFirst();
            name = cmd.substring(cmd.lastIndexOf('/') + 1);
        }
        args.add("--job-name=" + name);
        for (SbatchOptions.Option o : SbatchOptions.table()) {
            String name2 = o.longName();
            if (!options.has(name2) || NOT_FOR_THE_JOB.contains(name2) || isSrunOnly(name2)) {
                continue;
            }
            String v = options.get(name2);
            args.add(o.arg() == SbatchOptions.Arg.NONE || (o.arg() == SbatchOptions.Arg.OPTIONAL && v.isEmpty())
                    ? "--" + name2 : "--" + name2 + "=" + v);
        }
        return args;
    }

    private static boolean isSrunOnly(String longName) {
        return SrunOptions.SRUN_ONLY.stream().anyMatch(o -> o.longName().equals(longName));
    }

    /** The batch script: the same srun, with the step's options, run inside the allocation. */
    String script() {
        List<String> words = new ArrayList<>();
        String bin = ctx.env().get("SLUICE_SRUN_BIN");
        words.add(bin == null || bin.isBlank() ? "srun" : bin);
        for (String name : STEP_OPTIONS) {
            if (!options.has(name)) {
                continue;
            }
            String v = options.get(name);
            words.add(v.isEmpty() ? "--" + name : "--" + name + "=" + v);
        }
        if (!options.has("ntasks")) {
            words.add("--ntasks=" + spec.effectiveTasks());
        }
        words.add("--");
        words.addAll(spec.argv());
        StringBuilder sb = new StringBuilder("#!/bin/sh\n# Written by srun: the step it was asked for, inside this allocation.\nexec");
        for (String w : words) {
            sb.append(' ').append(quote(w));
        }
        return sb.append('\n').toString();
    }

    static String quote(String w) {
        if (w.matches("[A-Za-z0-9_./:=,@%+-]+")) {
            return w;
        }
        return "'" + w.replace("'", "'\"'\"'") + "'";
    }

    /** Polls the job until it has left PENDING; null when it could not be followed. */
    private JsonNode awaitStart() {
        Instant submitted = Instant.now();
        boolean saidQueued = false;
        while (true) {
            JsonNode job = job();
            if (cancelled) {
                return null;
            }
            if (job != null) {
                String state = job.path("state").asText("");
                if (!state.equals("PENDING") && !state.isEmpty()) {
                    running = true;
                    if (saidQueued && !quiet) {
                        ctx.err().println("srun: job " + jobId + " has been allocated resources");
                    }
                    return job;
                }
                String reason = job.path("reason").asText("");
                boolean waiting = (!reason.isEmpty() && !reason.equals("None"))
                        || Instant.now().isAfter(submitted.plus(QUEUED_AFTER));
                if (waiting && !saidQueued && !quiet) {
                    saidQueued = true;
                    ctx.err().println("srun: job " + jobId + " queued and waiting for resources");
                }
            }
            if (cancelled) {
                return null;
            }
            sleep(POLL);
        }
    }

    private JsonNode awaitEnd() {
        while (true) {
            JsonNode job = job();
            if (job != null) {
                String state = job.path("state").asText("");
                if (!state.isEmpty() && !state.equals("PENDING") && !state.equals("RUNNING")
                        && !state.equals("COMPLETING") && !state.equals("CONFIGURING") && !state.equals("SUSPENDED")) {
                    return job;
                }
            }
            sleep(POLL);
        }
    }

    /** The job as submit lists it; null while its read model does not know it yet or submit is away. */
    private JsonNode job() {
        try {
            Api.Response r = api.get(ctx.endpoints().submit(), "/api/v1/jobs/" + jobId, Map.of());
            if (r.ok()) {
                return Api.JSON.readTree(r.body());
            }
        } catch (Api.Unreachable | IOException e) {
            // Asked again on the next round.
        }
        return null;
    }

    /** stdout and stderr side by side, each until the agent ends it (the job has ended). */
    private void stream(AgentClient agent) {
        Thread err = Thread.ofPlatform().name("srun-stderr").start(() -> follow(agent, "stderr", ctx.err()));
        follow(agent, "stdout", ctx.out());
        try {
            err.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void follow(AgentClient agent, String which, PrintStream to) {
        String path = "/api/v1/jobs/" + jobId + "/output?stream=" + which + "&follow=true";
        Instant giveUp = null;
        while (true) {
            try {
                HttpResponse<InputStream> r = agent.getStream(path);
                if (r.statusCode() == 200) {
                    long n;
                    try (InputStream in = r.body()) {
                        n = copy(in, to);
                    }
                    if (n == 0) {
                        // An agent that wrote the script's output to the files asked for instead: show them.
                        tail(which, to, false);
                    }
                    return;
                }
                String body;
                try (InputStream in = r.body()) {
                    body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                }
                if ((r.statusCode() == 404 || r.statusCode() == 405) && !body.strip().startsWith("{") && spool != null) {
                    // No output endpoint on this agent (its 404 is not one of the API's JSON errors).
                    tail(which, to, true);
                    return;
                }
                // 404 while the agent is still preparing the job; a few seconds more once the job has ended.
                if (r.statusCode() != 404) {
                    ctx.err().println("srun: error: cannot read the job's " + which + ": "
                            + AgentClient.error(r.statusCode(), body));
                    return;
                }
            } catch (IOException e) {
                // The agent restarts or is not listening yet: try again below.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            JsonNode job = job();
            if (job != null && isOver(job.path("state").asText(""))) {
                if (giveUp == null) {
                    giveUp = Instant.now().plusSeconds(5);
                } else if (Instant.now().isAfter(giveUp)) {
                    return;
                }
            }
            sleep(POLL);
        }
    }

    private static boolean isOver(String state) {
        return !state.isEmpty() && !Set.of("PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED").contains(state);
    }

    private static long copy(InputStream in, PrintStream to) throws IOException {
        byte[] buf = new byte[8192];
        int n;
        long total = 0;
        while ((n = in.read(buf)) > 0) {
            synchronized (to) {
                to.write(buf, 0, n);
                to.flush();
            }
            total += n;
        }
        return total;
    }

    /** Shows the spool file's bytes as they are written (follow) until the job has ended, or what it holds now. */
    private void tail(String which, PrintStream to, boolean follow) {
        if (spool == null) {
            return;
        }
        Path file = spool.resolve(which);
        long offset = 0;
        boolean last = !follow;
        while (true) {
            try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(file)) {
                ch.position(offset);
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8192);
                int n;
                while ((n = ch.read(buf)) > 0) {
                    synchronized (to) {
                        to.write(buf.array(), 0, n);
                        to.flush();
                    }
                    offset += n;
                    buf.clear();
                }
            } catch (IOException e) {
                // Not created yet.
            }
            if (last) {
                return;
            }
            JsonNode job = job();
            // One more read after the end, for what was written just before it.
            last = job != null && isOver(job.path("state").asText(""));
            if (!last) {
                sleep(POLL);
            }
        }
    }

    private void removeSpool() {
        if (spool == null) {
            return;
        }
        try (var files = Files.list(spool)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(spool);
        } catch (IOException e) {
            // A leftover empty folder in /tmp is harmless.
        }
    }

    /** Where node's agent listens: the scheduler's node list, else the local runner's endpoints file. */
    URI agentOf(String node) {
        Properties file = endpointsFile();
        String scheduler = firstNonBlank(ctx.env().get("SLUICE_SCHEDULER_URL"), file.getProperty("scheduler.url"),
                "http://127.0.0.1:6821");
        try {
            Api.Response r = api.get(URI.create(scheduler.replaceAll("/+$", "")), "/api/v1/nodes", Map.of());
            if (r.ok()) {
                for (JsonNode n : Api.JSON.readTree(r.body()).path("nodes")) {
                    if (n.path("name").asText("").equals(node) && !n.path("address").asText("").isBlank()) {
                        return AgentClient.address(n.path("address").asText());
                    }
                }
            }
        } catch (Api.Unreachable | IOException | RuntimeException e) {
            // Fall back to the endpoints file.
        }
        String url = file.getProperty(node + ".url");
        return url == null || url.isBlank() ? null : AgentClient.address(url);
    }

    private Properties endpointsFile() {
        Properties p = new Properties();
        String home = firstNonBlank(ctx.env().get("SLUICE_HOME"), System.getProperty("sluice.home.default"));
        if (home != null) {
            Path f = Path.of(home, "endpoints.properties");
            if (Files.isReadable(f)) {
                try (Reader r = Files.newBufferedReader(f)) {
                    p.load(r);
                } catch (IOException e) {
                    // Treated as absent.
                }
            }
        }
        return p;
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    /** The first host of a Slurm hostlist: {@code node[01-04]} is node01, {@code a1,b2} is a1. */
    static String firstNode(String hostlist) {
        String h = hostlist.strip();
        if (h.isEmpty() || h.equals("(null)") || h.equals("None assigned")) {
            return null;
        }
        int comma = h.indexOf(',');
        int bracket = h.indexOf('[');
        if (bracket >= 0 && (comma < 0 || bracket < comma)) {
            String prefix = h.substring(0, bracket);
            String inside = h.substring(bracket + 1, h.indexOf(']', bracket));
            String first = inside.split(",")[0].split("-")[0];
            return prefix + first;
        }
        return comma < 0 ? h : h.substring(0, comma);
    }

    /** Runs on the JVM's signal thread. */
    synchronized void onSignal(String name) {
        if (jobId < 0 || cancelled) {
            return;
        }
        if (!running) {
            cancel();
            ctx.err().println("srun: Job allocation " + jobId + " has been revoked");
            return;
        }
        if (name.equals("INT")) {
            Instant now = ctx.clock().instant();
            if (now.isAfter(lastInterrupt.plusSeconds(1))) {
                lastInterrupt = now;
                ctx.err().println("srun: interrupt (one more within 1 sec to abort)");
                ctx.err().println("srun: job " + jobId + ": running");
                return;
            }
        }
        ctx.err().println("srun: forcing job termination");
        cancel();
    }

    private void cancel() {
        cancelled = true;
        try {
            Api.Response r = api.delete(ctx.endpoints().submit(), "/api/v1/jobs/" + jobId + "?user="
                    + java.net.URLEncoder.encode(ctx.identity().user(), java.nio.charset.StandardCharsets.UTF_8));
            if (!r.ok() && r.status() != 409) {
                ctx.err().println("srun: error: Kill job error on job id " + jobId + ": " + r.error());
            }
        } catch (Api.Unreachable e) {
            ctx.err().println("srun: error: Kill job error on job id " + jobId + ": " + e.getMessage());
        }
    }

    private static String newToken() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
