package dev.sluice.pmix;

import dev.sluice.pmi.StepLayout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Test support: compiles the MPI test program with Open MPI's mpicc and runs PMIx helpers as real processes. */
final class OpenMpi {

    static final String MPICC = "/usr/bin/mpicc.openmpi";

    private OpenMpi() {
    }

    static Path compileRing(Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(MPICC)),
                "Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev libpmix-dev libpmix2)");
        Path src = dir.resolve("ring.c");
        try (InputStream in = OpenMpi.class.getResourceAsStream("/mpi/ring.c")) {
            Files.copy(in, src);
        }
        Path exe = dir.resolve("ring");
        Process cc = new ProcessBuilder(MPICC, "-O1", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cc.waitFor()).as("mpicc output: %s", out).isZero();
        return exe;
    }

    /** One helper process's outcome. */
    record Outcome(int exit, String stdout, String stderr, List<String> status) {
    }

    /** A running step: one helper process per node. */
    static final class Step {
        final List<Process> helpers = new ArrayList<>();
        final List<CompletableFuture<String>> outs = new ArrayList<>();
        final List<CompletableFuture<String>> errs = new ArrayList<>();
        final List<Path> statusFiles = new ArrayList<>();

        List<Outcome> await(long seconds) throws Exception {
            List<Outcome> result = new ArrayList<>();
            for (int i = 0; i < helpers.size(); i++) {
                Process p = helpers.get(i);
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    helpers.forEach(h -> {
                        h.descendants().forEach(ProcessHandle::destroyForcibly);
                        h.destroyForcibly();
                    });
                    throw new AssertionError("helper of node " + i + " still running after " + seconds + " s; stderr: "
                            + errs.get(i).getNow("?"));
                }
            }
            for (int i = 0; i < helpers.size(); i++) {
                Path sf = statusFiles.get(i);
                result.add(new Outcome(helpers.get(i).exitValue(), outs.get(i).get(10, TimeUnit.SECONDS),
                        errs.get(i).get(10, TimeUnit.SECONDS), Files.exists(sf) ? Files.readAllLines(sf) : List.of()));
            }
            return result;
        }
    }

    static List<String> helperCommand(HelperSpec spec) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), PmixStepHelper.class.getName()));
        if (spec != null) {
            cmd.addAll(spec.toArgs());
        }
        return cmd;
    }

    static List<String> prestartCommand(String nodeName, Path workDir) {
        List<String> cmd = new ArrayList<>(helperCommand(null));
        cmd.addAll(List.of("--prestart", "--node-name", nodeName, "--work-dir", workDir.toString()));
        return cmd;
    }

    /** Starts one helper per node on this host (distinct work dirs, node 0's channel on a loopback port). */
    static Step start(Path dir, String job, StepLayout layout, List<String> program) throws Exception {
        return start(dir, job, layout, program, false);
    }

    /**
     * Like {@link #start}, but as a node agent with warm helpers would: each helper is prestarted for its node,
     * and the step's arguments reach it on stdin once it said it is ready.
     */
    static Step start(Path dir, String job, StepLayout layout, List<String> program, boolean prestarted) throws Exception {
        Step step = new Step();
        List<String> names = new ArrayList<>();
        for (int n = 0; n < layout.nodeCount(); n++) {
            names.add("node0" + n);
        }
        int uid = (Integer) Files.getAttribute(dir, "unix:uid");
        int gid = (Integer) Files.getAttribute(dir, "unix:gid");
        Path addressFile = dir.resolve("channel-" + job);
        InetSocketAddress channel = new InetSocketAddress("127.0.0.1", 0);
        for (int n = 0; n < layout.nodeCount(); n++) {
            if (n == 1) {
                channel = waitForAddress(addressFile, step.helpers.getFirst());
            }
            Path status = dir.resolve("status-" + job + "-" + n);
            HelperSpec spec = new HelperSpec(job, 0, names, layout, n, channel, uid, gid, dir.resolve("work-" + job + "-" + n),
                    n == 0 ? addressFile : null, status, program);
            ProcessBuilder pb = new ProcessBuilder(prestarted
                    ? prestartCommand(spec.nodeName(), dir.resolve("warm-" + job + "-" + n)) : helperCommand(spec));
            if (!prestarted) {
                pb.environment().put(HelperSpec.SECRET_ENV, "secret-" + job);
            }
            Process p = pb.start();
            step.helpers.add(p);
            step.outs.add(readAll(p.getInputStream()));
            if (prestarted) {
                java.io.BufferedReader err = new java.io.BufferedReader(
                        new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
                String first = err.readLine();
                assertThat(first).isEqualTo("sluice-pmix: ready");
                step.errs.add(readAll(p.getErrorStream()));
                p.getOutputStream().write(("--secret\tsecret-" + job + "\t" + String.join("\t", spec.toArgs()) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().close();
            } else {
                step.errs.add(readAll(p.getErrorStream()));
            }
            step.statusFiles.add(status);
        }
        return step;
    }

    private static InetSocketAddress waitForAddress(Path file, Process leader) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            if (!leader.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("node 0's helper wrote no channel address; exit "
                        + (leader.isAlive() ? "none" : leader.exitValue()));
            }
            Thread.sleep(20);
        }
        String hp = Files.readString(file).strip();
        int colon = hp.lastIndexOf(':');
        return new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1)));
    }

    static CompletableFuture<String> readAll(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }
}
