package dev.sluice.pmi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The PMI-1 wire exactly as MPICH 4.0's simple PMI client (PMI_PORT mode) speaks it. */
class Pmi1WireTest {

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

    @Test
    void servesTheStartupSequenceMpichSends() throws Exception {
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("7.0", 2, 2), 1)
                .fence(InProcessFenceExchange.group(2).get(1)).start());
        WireClient rank3 = track(new WireClient(server.environmentFor(3).get("PMI_PORT")));

        assertThat(rank3.initack(3)).containsExactly("cmd=initack", "cmd=set size=4", "cmd=set rank=3", "cmd=set debug=0");
        assertThat(rank3.call("cmd=init pmi_version=1 pmi_subversion=1"))
                .isEqualTo("cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0");
        assertThat(WireClient.parseLine(rank3.call("cmd=get_maxes")))
                .containsEntry("cmd", "maxes").containsEntry("kvsname_max", "256")
                .containsEntry("keylen_max", "64").containsEntry("vallen_max", "1024");
        assertThat(WireClient.parseLine(rank3.call("cmd=get_appnum"))).containsEntry("appnum", "0");
        assertThat(WireClient.parseLine(rank3.call("cmd=get_my_kvsname"))).containsEntry("kvsname", "7.0");
        assertThat(WireClient.parseLine(rank3.call("cmd=get_universe_size"))).containsEntry("size", "4");
        assertThat(WireClient.parseLine(rank3.call("cmd=get kvsname=7.0 key=PMI_process_mapping")))
                .containsEntry("rc", "0").containsEntry("value", "(vector,(0,2,2))");
        assertThat(WireClient.parseLine(rank3.call("cmd=get kvsname=7.0 key=no-such-key")))
                .containsEntry("cmd", "get_result").containsEntry("rc", "-1");
        assertThat(WireClient.parseLine(rank3.call("cmd=put kvsname=7.0 key=bc-3 value=abc123")))
                .containsEntry("cmd", "put_result").containsEntry("rc", "0");
        assertThat(WireClient.parseLine(rank3.call("cmd=get kvsname=7.0 key=bc-3"))).containsEntry("value", "abc123");
        assertThat(rank3.call("cmd=finalize")).isEqualTo("cmd=finalize_ack");
    }

    @Test
    void theEnvironmentPointsEachRankAtItsServer() throws Exception {
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("7.0", 2, 2), 1)
                .fence(InProcessFenceExchange.group(2).get(1)).start());
        assertThat(server.environmentFor(2)).containsEntry("PMI_PORT", server.portSpec())
                .containsEntry("PMI_ID", "2").containsEntry("PMI_RANK", "2").containsEntry("PMI_SIZE", "4");
        assertThat(server.portSpec()).startsWith("127.0.0.1:");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.environmentFor(0))
                .hasMessageContaining("rank 0 does not run on node 1");
    }

    @Test
    void refusesRanksOfOtherNodesAndDuplicateRanks() throws Exception {
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("7.0", 2, 2), 0)
                .fence(InProcessFenceExchange.group(2).get(0)).start());
        WireClient stranger = track(new WireClient(server.portSpec()));
        assertThat(stranger.initack(2)[0]).startsWith("cmd=initack rc=-1");
        assertThat(stranger.readLine()).isNull(); // and the server hangs up

        WireClient first = track(new WireClient(server.portSpec()));
        assertThat(first.initack(0)).hasSize(4);
        WireClient impostor = track(new WireClient(server.portSpec()));
        assertThat(impostor.initack(0)[0]).contains("already_connected");
    }

    @Test
    void aBarrierWaitsForEveryRankOfEveryNodeThenShowsRemotePuts() throws Exception {
        List<FenceExchange> fence = InProcessFenceExchange.group(2);
        StepLayout layout = StepLayout.block("7.0", 2, 1);
        SimplePmiServer node0 = track(SimplePmiServer.builder(layout, 0).fence(fence.get(0)).start());
        SimplePmiServer node1 = track(SimplePmiServer.builder(layout, 1).fence(fence.get(1)).start());
        WireClient r0 = track(new WireClient(node0.portSpec()));
        WireClient r1 = track(new WireClient(node0.portSpec()));
        WireClient r2 = track(new WireClient(node1.portSpec()));
        r0.initack(0);
        r1.initack(1);
        r2.initack(2);

        r0.call("cmd=put kvsname=7.0 key=addr-0 value=aaaa");
        r2.call("cmd=put kvsname=7.0 key=addr-2 value=cccc");
        // Before the barrier a put made on another node is invisible.
        assertThat(WireClient.parseLine(r2.call("cmd=get kvsname=7.0 key=addr-0"))).containsEntry("rc", "-1");

        r0.sendLine("cmd=barrier_in");
        r2.sendLine("cmd=barrier_in");
        assertThat(r0.silentFor(300)).as("rank 1 has not entered the barrier yet").isTrue();
        r1.sendLine("cmd=barrier_in");
        assertThat(r0.readLine()).isEqualTo("cmd=barrier_out");
        assertThat(r1.readLine()).isEqualTo("cmd=barrier_out");
        assertThat(r2.readLine()).isEqualTo("cmd=barrier_out");

        assertThat(WireClient.parseLine(r2.call("cmd=get kvsname=7.0 key=addr-0"))).containsEntry("value", "aaaa");
        assertThat(WireClient.parseLine(r1.call("cmd=get kvsname=7.0 key=addr-2"))).containsEntry("value", "cccc");

        // A second round works the same way and carries only the new puts.
        r1.call("cmd=put kvsname=7.0 key=late value=x1");
        for (WireClient c : List.of(r0, r1, r2)) {
            c.sendLine("cmd=barrier_in");
        }
        for (WireClient c : List.of(r0, r1, r2)) {
            assertThat(c.readLine()).isEqualTo("cmd=barrier_out");
        }
        assertThat(WireClient.parseLine(r2.call("cmd=get kvsname=7.0 key=late"))).containsEntry("value", "x1");
    }

    @Test
    void abortIsReportedWithRankAndExitCodeAndTheRankIsLeftForTheLauncherToKill() throws Exception {
        RecordingListener listener = new RecordingListener();
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("7.0", 2), 0).listener(listener).start());
        WireClient r1 = track(new WireClient(server.portSpec()));
        r1.initack(1);
        r1.sendLine("cmd=abort exitcode=7");

        RankFailure failure = listener.firstFailure.get(10, TimeUnit.SECONDS);
        assertThat(failure).isEqualTo(new RankFailure(1, RankFailure.Kind.ABORT, 7, null));
        assertThat(failure.describe()).isEqualTo("task 1 called abort (exit code 7)");
        // MPICH 4.0.2 waits for an answer after abort and carries on if the socket closes: keep it open.
        assertThat(r1.silentFor(200)).isTrue();
        r1.close();
        Thread.sleep(100);
        assertThat(listener.failures).as("the dropped connection of an aborted rank is not a second failure").hasSize(1);
    }

    @Test
    void abortMessagesWithSpacesSurvive() throws Exception {
        RecordingListener listener = new RecordingListener();
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("7.0", 2), 0).listener(listener).start());
        WireClient r0 = track(new WireClient(server.portSpec()));
        r0.initack(0);
        r0.sendLine("cmd=abort exitcode=3 message=out\\ of memory");
        assertThat(listener.firstFailure.get(10, TimeUnit.SECONDS).message()).isEqualTo("out of memory");

        // Older clients do not escape: the words after the value still belong to it.
        WireClient r1 = track(new WireClient(server.portSpec()));
        r1.initack(1);
        r1.sendLine("cmd=abort exitcode=4 message=disk full on /scratch");
        RankFailure second = null;
        for (int i = 0; i < 100 && second == null; i++) {
            second = listener.failures.stream().filter(f -> f.rank() == 1).findFirst().orElse(null);
            Thread.sleep(50);
        }
        assertThat(second).isNotNull();
        assertThat(second.message()).isEqualTo("disk full on /scratch");
        assertThat(second.exitCode()).isEqualTo(4);
    }

    @Test
    void aConnectionLostBeforeFinalizeIsReportedNamingTheRank() throws Exception {
        RecordingListener listener = new RecordingListener();
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("7.0", 2), 0).listener(listener).start());
        WireClient r0 = track(new WireClient(server.portSpec()));
        WireClient r1 = track(new WireClient(server.portSpec()));
        r0.initack(0);
        r1.initack(1);
        r0.call("cmd=init pmi_version=1 pmi_subversion=1");
        assertThat(r0.call("cmd=finalize")).isEqualTo("cmd=finalize_ack");
        r0.close();
        r1.close();

        RankFailure failure = listener.firstFailure.get(10, TimeUnit.SECONDS);
        assertThat(failure.rank()).isEqualTo(1);
        assertThat(failure.kind()).isEqualTo(RankFailure.Kind.DISCONNECTED);
        assertThat(listener.finalized).containsExactly(0);
        assertThat(server.allFinalized()).isNotDone();
    }

    @Test
    void allFinalizedCompletesWhenEveryLocalRankFinalized() throws Exception {
        RecordingListener listener = new RecordingListener();
        SimplePmiServer server = track(SimplePmiServer.builder(StepLayout.block("7.0", 2), 0).listener(listener).start());
        for (int rank : List.of(0, 1)) {
            WireClient c = track(new WireClient(server.portSpec()));
            c.initack(rank);
            assertThat(c.call("cmd=finalize")).isEqualTo("cmd=finalize_ack");
            c.close();
        }
        server.allFinalized().get(10, TimeUnit.SECONDS);
        assertThat(listener.failures).isEmpty();
    }
}
