import dev.sluice.pmi.FenceExchange;
import dev.sluice.pmi.RankFailure;
import dev.sluice.pmi.SimplePmiServer;
import dev.sluice.pmi.StepLayout;
import dev.sluice.pmi.TcpFenceExchange;
import dev.sluice.pmi.PmiListener;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Launch-time benchmark for the Sluice PMI server (not a test: numbers depend on the machine and its load).
 * Usage (see run.sh): java -cp pmi/target/classes pmi/bench/PmiBench.java RING_BINARY [REPEATS]
 *
 * Measures, from one already-running JVM, wall time from "start the PMI server(s)" to "every rank exited":
 *   sluice-1x2   2 ranks, one server (in-process fence)
 *   sluice-2x2   4 ranks, two servers ("nodes") joined by the TCP fence, TMPDIR per node
 *   mpiexec -n 2 / -n 4   Hydra doing the same job on the same machine
 * and the round-trip of one empty cross-node fence over TCP (2 nodes on loopback).
 */
public class PmiBench {

    public static void main(String[] args) throws Exception {
        Path ring = Path.of(args[0]);
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path tmp = Files.createTempDirectory("pmibench");

        // Warm the JVM paths once so the numbers show steady state, as in a long-running node agent.
        sluice(ring, tmp, 1, 2);
        sluice(ring, tmp, 2, 2);
        mpiexec(ring, 2);

        report("sluice 1 node x 2 ranks", repeats, () -> sluice(ring, tmp, 1, 2));
        report("mpiexec.mpich -n 2", repeats, () -> mpiexec(ring, 2));
        report("sluice 2 nodes x 2 ranks (TCP fence)", repeats, () -> sluice(ring, tmp, 2, 2));
        report("mpiexec.mpich -n 4", repeats, () -> mpiexec(ring, 4));
        fenceRoundTrip(2000);
    }

    interface Run {
        void run() throws Exception;
    }

    static void report(String name, int repeats, Run run) throws Exception {
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            run.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("%-40s median %6.1f ms   min %6.1f ms   max %6.1f ms   (n=%d)%n",
                name, ms[repeats / 2], ms[0], ms[repeats - 1], repeats);
    }

    static void sluice(Path ring, Path tmp, int nodes, int perNode) throws Exception {
        int[] tpn = new int[nodes];
        Arrays.fill(tpn, perNode);
        StepLayout layout = StepLayout.block("bench.0", tpn);
        List<FenceExchange> fences = new ArrayList<>();
        if (nodes > 1) {
            TcpFenceExchange.Leader leader = TcpFenceExchange.leader(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), nodes, "bench");
            fences.add(leader);
            for (int n = 1; n < nodes; n++) {
                fences.add(TcpFenceExchange.join(leader.address(), n, nodes, "bench", Duration.ofSeconds(10)));
            }
        }
        PmiListener failOnAbort = new PmiListener() {
            @Override
            public void rankFailed(RankFailure failure) {
                System.err.println("FAILED: " + failure.describe());
            }

            @Override
            public void fenceFailed(Throwable cause) {
                System.err.println("FENCE FAILED: " + cause);
            }
        };
        List<SimplePmiServer> servers = new ArrayList<>();
        List<Process> ranks = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            SimplePmiServer server = SimplePmiServer.builder(layout, n)
                    .fence(nodes > 1 ? fences.get(n) : null).listener(failOnAbort).start();
            servers.add(server);
            for (int rank : layout.localRanks(n)) {
                ProcessBuilder pb = new ProcessBuilder(ring.toString(), "ring")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT);
                Map<String, String> env = pb.environment();
                env.putAll(server.environmentFor(rank));
                if (nodes > 1) {
                    Path nodeTmp = Files.createDirectories(tmp.resolve("node" + n));
                    env.put("TMPDIR", nodeTmp.toString());
                }
                ranks.add(pb.start());
            }
        }
        for (Process p : ranks) {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("rank failed or hung");
            }
        }
        servers.forEach(SimplePmiServer::close);
    }

    static void mpiexec(Path ring, int n) throws Exception {
        Process p = new ProcessBuilder("mpiexec.mpich", "-n", Integer.toString(n), ring.toString(), "ring")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("mpiexec failed");
        }
    }

    static void fenceRoundTrip(int rounds) throws Exception {
        try (TcpFenceExchange.Leader leader = TcpFenceExchange.leader(
                     new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2, "bench");
             TcpFenceExchange.Follower follower = TcpFenceExchange.join(leader.address(), 1, 2, "bench", Duration.ofSeconds(10))) {
            Map<String, String> card = Map.of("bc-0", "f".repeat(360));
            for (int i = 0; i < 200; i++) {
                var f = follower.exchange(Map.of());
                leader.exchange(card).get();
                f.get();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                var f = follower.exchange(Map.of());
                leader.exchange(card).get();
                f.get();
            }
            double us = (System.nanoTime() - t0) / 1e3 / rounds;
            System.out.printf("%-40s mean %6.1f us per barrier (2 nodes, loopback, 360-char value, n=%d)%n",
                    "TCP fence round trip", us, rounds);
        }
    }
}
