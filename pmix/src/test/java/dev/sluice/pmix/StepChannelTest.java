package dev.sluice.pmix;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The helpers' TCP channel over real loopback sockets: fence order, direct modex routing, abort, lost nodes. */
class StepChannelTest {

    private final List<StepChannel> channels = new ArrayList<>();

    /** Serves "modex of rank R from node N" for its node's ranks and records aborts and breaks. */
    static final class Node implements StepChannel.Handler {
        final int index;
        final List<String> events = new CopyOnWriteArrayList<>();

        Node(int index) {
            this.index = index;
        }

        @Override
        public CompletableFuture<byte[]> localModex(int rank) {
            return CompletableFuture.completedFuture(("modex of rank " + rank + " from node " + index).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void remoteAbort(int node, int rank, int status, String message) {
            events.add("abort node=" + node + " rank=" + rank + " status=" + status);
        }

        @Override
        public void broken(String why) {
            events.add("broken: " + why);
        }
    }

    private List<Node> handlers = new ArrayList<>();

    private void startStep(int nodes) throws Exception {
        for (int i = 0; i < nodes; i++) {
            handlers.add(new Node(i));
        }
        StepChannel leader = StepChannel.leader(new InetSocketAddress("127.0.0.1", 0), nodes, "s", handlers.get(0));
        channels.add(leader);
        for (int i = 1; i < nodes; i++) {
            channels.add(StepChannel.join(leader.address(), i, nodes, "s", Duration.ofSeconds(10), handlers.get(i)));
        }
    }

    @AfterEach
    void close() {
        channels.forEach(StepChannel::close);
    }

    private static String text(CompletableFuture<byte[]> f) throws Exception {
        return new String(f.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    @Test
    void fenceResultIsEveryNodesBlobInNodeOrderOnEveryNode() throws Exception {
        startStep(3);
        // contributions arrive in reverse order; the result is still node 0, 1, 2
        CompletableFuture<byte[]> f2 = channels.get(2).fence("C".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<byte[]> f1 = channels.get(1).fence("BB".getBytes(StandardCharsets.UTF_8));
        assertThat(f1).isNotDone();
        CompletableFuture<byte[]> f0 = channels.get(0).fence("A".getBytes(StandardCharsets.UTF_8));
        assertThat(text(f0)).isEqualTo("ABBC");
        assertThat(text(f1)).isEqualTo("ABBC");
        assertThat(text(f2)).isEqualTo("ABBC");
        // a second round with an empty blob from one node
        CompletableFuture<byte[]> g0 = channels.get(0).fence(new byte[0]);
        CompletableFuture<byte[]> g1 = channels.get(1).fence("x".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<byte[]> g2 = channels.get(2).fence("y".getBytes(StandardCharsets.UTF_8));
        assertThat(text(g0)).isEqualTo("xy");
        assertThat(text(g1)).isEqualTo("xy");
        assertThat(text(g2)).isEqualTo("xy");
    }

    @Test
    void directModexIsServedByTheNodeRunningTheRank() throws Exception {
        startStep(3);
        assertThat(text(channels.get(1).directModex(2, 5))).isEqualTo("modex of rank 5 from node 2");
        assertThat(text(channels.get(2).directModex(0, 0))).isEqualTo("modex of rank 0 from node 0");
        assertThat(text(channels.get(0).directModex(1, 3))).isEqualTo("modex of rank 3 from node 1");
    }

    @Test
    void anAbortReachesEveryOtherNode() throws Exception {
        startStep(3);
        channels.get(2).abort(5, 7, "");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((handlers.get(0).events.isEmpty() || handlers.get(1).events.isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(handlers.get(0).events).containsExactly("abort node=2 rank=5 status=7");
        assertThat(handlers.get(1).events).containsExactly("abort node=2 rank=5 status=7");
        assertThat(handlers.get(2).events).isEmpty();
    }

    @Test
    void aLostNodeFailsThePendingFenceEverywhereInsteadOfHanging() throws Exception {
        startStep(3);
        CompletableFuture<byte[]> f0 = channels.get(0).fence(new byte[] {1});
        CompletableFuture<byte[]> f1 = channels.get(1).fence(new byte[] {2});
        channels.get(2).close(); // node 2's helper dies before its ranks reach the fence
        assertThatThrownBy(() -> f0.get(10, TimeUnit.SECONDS)).hasMessageContaining("node 2's PMIx helper left the step");
        assertThatThrownBy(() -> f1.get(10, TimeUnit.SECONDS)).hasMessageContaining("node 0's PMIx helper left the step");
        assertThat(handlers.get(1).events).anyMatch(e -> e.startsWith("broken: "));
    }

    @Test
    void aStrangerWithTheWrongSecretIsDroppedWithoutDisturbingTheStep() throws Exception {
        startStep(2);
        try (Socket s = new Socket("127.0.0.1", channels.get(0).address().getPort())) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(StepChannel.MAGIC);
            out.writeInt(StepChannel.VERSION);
            out.writeInt(1);
            out.writeUTF("wrong");
            out.flush();
            assertThat(s.getInputStream().read()).isEqualTo(-1); // hung up on
        }
        CompletableFuture<byte[]> f0 = channels.get(0).fence("a".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<byte[]> f1 = channels.get(1).fence("b".getBytes(StandardCharsets.UTF_8));
        assertThat(text(f0)).isEqualTo("ab");
        assertThat(text(f1)).isEqualTo("ab");
        assertThat(handlers.get(0).events).isEmpty();
    }

    @Test
    void theBindingsLayoutMatchesTheInstalledHeaders() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of(OpenMpi.MPICC)),
                "Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev libpmix-dev libpmix2)");
        PmixAbi.verify(); // throws, naming each mismatch, if the probe disagrees (or did not run)
    }

    @Test
    void helperArgumentsRoundTrip() {
        HelperSpec spec = HelperSpec.parse(new String[] {"--job", "42", "--step", "3", "--nodes", "a,b",
                "--proc-map", "0,2;1,3", "--node-index", "1", "--channel", "10.0.0.1:7000", "--uid", "1000",
                "--gid", "100", "--work-dir", "/tmp/w", "--", "prog", "x"});
        assertThat(spec.namespace()).isEqualTo("sluice.pmix.42.3");
        assertThat(spec.layout().localRanks(1)).containsExactly(1, 3);
        assertThat(spec.procMap()).isEqualTo("0,2;1,3");
        assertThat(HelperSpec.parse(spec.toArgs().toArray(String[]::new))).isEqualTo(spec);
        assertThatThrownBy(() -> HelperSpec.parse(new String[] {"--job", "1"})).hasMessageContaining("usage");
    }
}
