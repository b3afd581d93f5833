import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Launch time of an Open MPI step through Sluice's PMIx helpers next to mpirun.openmpi (not a test).
 * Wall time from the launch request to every rank having exited (MPI start-up included):
 * <ul>
 * <li>warm: helpers prestarted per node and ready (what a node agent keeps); timed from handing them the step;</li>
 * <li>cold: a fresh helper JVM per node, timed from its start;</li>
 * <li>mpirun.openmpi --oversubscribe -np N.</li>
 * </ul>
 * Usage: java -cp pmix.jar:pmi.jar PmixBench.java RING_BINARY REPEATS WORKDIR
 */
public class PmixBench {

    static String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    static String cp = System.getProperty("java.class.path");
    static Path work;
    static int seq;

    public static void main(String[] args) throws Exception {
        String ring = args[0];
        int repeats = Integer.parseInt(args[1]);
        work = Path.of(args[2]);
        // warm-up run of each kind, not counted (page cache, first JIT of the helper paths)
        warm(ring, 1, 2);
        cold(ring, 1, 2);
        mpirun(ring, 2);
        int[][] shapes = {{1, 2}, {2, 2}, {4, 2}};
        System.out.printf("| run | median | min |%n|---|---|---|%n");
        for (int[] shape : shapes) {
            int nodes = shape[0], per = shape[1], n = nodes * per;
            long[] w = new long[repeats], c = new long[repeats], m = new long[repeats];
            for (int i = 0; i < repeats; i++) {
                w[i] = warm(ring, nodes, per);
                c[i] = cold(ring, nodes, per);
                m[i] = mpirun(ring, n);
            }
            row("Sluice warm helpers, " + nodes + " node(s) x " + per + " ranks", w);
            row("Sluice cold helpers, " + nodes + " node(s) x " + per + " ranks", c);
            row("`mpirun.openmpi --oversubscribe -np " + n + "`", m);
        }
    }

    static void row(String name, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("| %s | %d ms | %d ms |%n", name, s[s.length / 2] / 1_000_000, s[0] / 1_000_000);
    }

    static List<String> base() {
        return new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xshare:auto", "-cp", cp, "dev.sluice.pmix.PmixStepHelper"));
    }

    static List<String> stepArgs(String job, int nodes, int per, int index, String channel, Path addr, String ring) {
        StringBuilder names = new StringBuilder(), map = new StringBuilder();
        for (int n = 0; n < nodes; n++) {
            names.append(n == 0 ? "" : ",").append("node0").append(n);
            map.append(n == 0 ? "" : ";");
            for (int r = 0; r < per; r++) {
                map.append(r == 0 ? "" : ",").append(n * per + r);
            }
        }
        List<String> a = new ArrayList<>(List.of("--job", job, "--step", "0", "--nodes", names.toString(),
                "--proc-map", map.toString(), "--node-index", String.valueOf(index), "--channel", channel,
                "--uid", "0", "--gid", "0", "--work-dir", work.resolve(job + "-" + index).toString()));
        if (index == 0) {
            a.addAll(List.of("--address-file", addr.toString()));
        }
        a.add("--");
        a.add(ring);
        return a;
    }

    static long warm(String ring, int nodes, int per) throws Exception {
        String job = "w" + (++seq);
        Path addr = work.resolve(job + ".addr");
        List<Process> ps = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            List<String> cmd = base();
            cmd.addAll(List.of("--prestart", "--node-name", "node0" + n, "--work-dir", work.resolve(job + "-warm-" + n).toString()));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            ps.add(p);
        }
        for (Process p : ps) {
            String line = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8)).readLine();
            if (!"sluice-pmix: ready".equals(line)) {
                throw new IllegalStateException("helper not ready: " + line);
            }
            drain(p);
        }
        long t0 = System.nanoTime();
        handTo(ps.get(0), stepArgs(job, nodes, per, 0, "127.0.0.1:0", addr, ring));
        String channel = nodes > 1 ? waitFor(addr) : "127.0.0.1:0";
        for (int n = 1; n < nodes; n++) {
            handTo(ps.get(n), stepArgs(job, nodes, per, n, channel, addr, ring));
        }
        awaitAll(ps);
        return System.nanoTime() - t0;
    }

    static long cold(String ring, int nodes, int per) throws Exception {
        String job = "c" + (++seq);
        Path addr = work.resolve(job + ".addr");
        long t0 = System.nanoTime();
        List<Process> ps = new ArrayList<>();
        String channel = "127.0.0.1:0";
        for (int n = 0; n < nodes; n++) {
            if (n == 1) {
                channel = waitFor(addr);
            }
            List<String> cmd = base();
            cmd.addAll(stepArgs(job, nodes, per, n, channel, addr, ring));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            drain(p);
            ps.add(p);
        }
        awaitAll(ps);
        return System.nanoTime() - t0;
    }

    static long mpirun(String ring, int n) throws Exception {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder("mpirun.openmpi", "--oversubscribe", "-np", String.valueOf(n), ring)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("mpirun failed");
        }
        return System.nanoTime() - t0;
    }

    static void handTo(Process p, List<String> args) throws Exception {
        p.getOutputStream().write((String.join("\t", args) + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
    }

    static String waitFor(Path addr) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(addr)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no channel address");
            }
            Thread.sleep(1);
        }
        return Files.readString(addr).strip();
    }

    static void drain(Process p) {
        Thread.ofPlatform().daemon().start(() -> {
            try (var in = p.getErrorStream()) {
                in.transferTo(System.err);
            } catch (Exception ignored) {
                // helper gone
            }
        });
    }

    static void awaitAll(List<Process> ps) throws Exception {
        for (Process p : ps) {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("helper failed: " + (p.isAlive() ? "timeout" : p.exitValue()));
            }
        }
    }
}
