package dev.sluice.pmi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The PMI-2 framing, for MPICH builds configured with --with-pmi=pmi2/simple: a PMI-1 {@code init} line with
 * pmi_version=2, then 6-character length-prefixed {@code cmd=...;} messages. Debian's MPICH does not speak it, so a
 * hand-written client plays the rank.
 */
class Pmi2WireTest {

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    private WireClient connect(SimplePmiServer server, int rank) throws Exception {
        WireClient c = track(new WireClient(server.environmentFor(rank).get("PMI_PORT")));
        assertThat(c.call("cmd=init pmi_version=2 pmi_subversion=0"))
                .isEqualTo("cmd=response_to_init pmi_version=2 pmi_subversion=0 rc=0");
        Map<String, String> init = c.callFrame("cmd=fullinit;pmiid=" + rank + ";threaded=FALSE;");
        assertThat(init).containsEntry("cmd", "fullinit-response").containsEntry("rc", "0")
                .containsEntry("rank", Integer.toString(rank)).containsEntry("size", "4")
                .containsEntry("appnum", "0").doesNotContainKey("spawner-jobid");
        return c;
    }

    @Test
    void fullinitJobAttributesPutFenceGetFinalizeAcrossTwoNodes() throws Exception {
        List<FenceExchange> fence = InProcessFenceExchange.group(2);
        StepLayout layout = StepLayout.block("9.1", 2, 2);
        SimplePmiServer node0 = track(SimplePmiServer.builder(layout, 0).fence(fence.get(0)).start());
        SimplePmiServer node1 = track(SimplePmiServer.builder(layout, 1).fence(fence.get(1)).start());
        List<WireClient> ranks = List.of(connect(node0, 0), connect(node0, 1), connect(node1, 2), connect(node1, 3));

        WireClient r0 = ranks.get(0);
        assertThat(r0.callFrame("cmd=job-getid;")).containsEntry("cmd", "job-getid-response").containsEntry("jobid", "9.1");
        assertThat(r0.callFrame("cmd=info-getjobattr;key=PMI_process_mapping;"))
                .containsEntry("found", "TRUE").containsEntry("value", "(vector,(0,2,2))");
        assertThat(r0.callFrame("cmd=info-getjobattr;key=nope;")).containsEntry("found", "FALSE");

        for (int r = 0; r < 4; r++) {
            assertThat(ranks.get(r).callFrame("cmd=kvs-put;key=card-" + r + ";value=v" + r + ";"))
                    .containsEntry("cmd", "kvs-put-response").containsEntry("rc", "0");
        }
        assertThat(ranks.get(3).callFrame("cmd=kvs-get;jobid=9.1;srcid=-1;key=card-0;")).containsEntry("found", "FALSE");

        for (WireClient c : ranks) {
            c.sendFrame("cmd=kvs-fence;");
        }
        for (WireClient c : ranks) {
            assertThat(WireClient.parseFrame(c.readFrame())).containsEntry("cmd", "kvs-fence-response").containsEntry("rc", "0");
        }
        for (int r = 0; r < 4; r++) {
            for (int other = 0; other < 4; other++) {
                assertThat(ranks.get(r).callFrame("cmd=kvs-get;jobid=9.1;srcid=" + other + ";key=card-" + other + ";"))
                        .containsEntry("cmd", "kvs-get-response").containsEntry("found", "TRUE")
                        .containsEntry("value", "v" + other);
            }
        }
        for (WireClient c : ranks) {
            assertThat(c.callFrame("cmd=finalize;")).containsEntry("cmd", "finalize-response").containsEntry("rc", "0");
        }
        node0.allFinalized().get(10, TimeUnit.SECONDS);
        node1.allFinalized().get(10, TimeUnit.SECONDS);
    }

    @Test
    void threadIdsAreEchoedAndNodeAttributesCanBeAwaited() throws Exception {
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("9.1", 4), 0).start());
        WireClient r0 = connect(server, 0);
        WireClient r1 = connect(server, 1);

        assertThat(r0.callFrame("cmd=job-getid;thrid=0x7f00;")).containsEntry("thrid", "0x7f00");
        assertThat(r1.callFrame("cmd=info-getnodeattr;key=shm;")).containsEntry("found", "FALSE");
        r1.sendFrame("cmd=info-getnodeattr;key=shm;wait=TRUE;");
        assertThat(r1.silentFor(200)).isTrue();
        assertThat(r0.callFrame("cmd=info-putnodeattr;key=shm;value=/seg1;")).containsEntry("rc", "0");
        assertThat(WireClient.parseFrame(r1.readFrame())).containsEntry("found", "TRUE").containsEntry("value", "/seg1");
    }

    @Test
    void abortNamesTheRankAndCarriesTheMessage() throws Exception {
        RecordingListener listener = new RecordingListener();
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("9.1", 4), 0).listener(listener).start());
        WireClient r2 = connect(server, 2);
        r2.sendFrame("cmd=abort;isworld=TRUE;msg=application called MPI_Abort(MPI_COMM_WORLD, 5) - process 2;");

        RankFailure failure = listener.firstFailure.get(10, TimeUnit.SECONDS);
        assertThat(failure.rank()).isEqualTo(2);
        assertThat(failure.kind()).isEqualTo(RankFailure.Kind.ABORT);
        assertThat(failure.message()).isEqualTo("application called MPI_Abort(MPI_COMM_WORLD, 5) - process 2");
    }
}
