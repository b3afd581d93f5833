package dev.sluice.accounting.sacct;

import dev.sluice.accounting.history.JobRow;
import dev.sluice.accounting.history.StepRow;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SacctReportTest {
    private static final Instant T0 = Instant.parse("2026-11-22T01:00:00Z");

    private static StepRow step(String id, String node, Instant start, Instant end, String state, int exit,
                                int signal, long user, long sys, long rss) {
        StepRow s = new StepRow();
        s.jobId = 7;
        s.stepId = id;
        s.node = node;
        s.startTime = start;
        s.endTime = end;
        s.state = end == null ? null : state;
        s.exitCode = end == null ? null : exit;
        s.exitSignal = end == null ? null : signal;
        s.cpuUserMs = end == null ? null : user;
        s.cpuSystemMs = end == null ? null : sys;
        s.maxRssKb = end == null ? null : rss;
        return s;
    }

    @Test
    void tresStringsReadLikeSlurms() {
        assertThat(SacctReport.tres(1, 1024L, 1, 0)).isEqualTo("cpu=1,mem=1G,node=1");
        assertThat(SacctReport.tres(32, 500L, 4, 8)).isEqualTo("cpu=32,mem=500M,node=4,gres/gpu=8");
        assertThat(SacctReport.tres(2, null, 1, 0)).isEqualTo("cpu=2,node=1");
    }

    @Test
    void aMultiNodeStepIsFoldedIntoOneLineAndTheJobSumsItsSteps() {
        JobRow j = new JobRow();
        j.jobId = 7;
        j.state = "FAILED";
        j.exitCode = 1;
        j.exitSignal = 0;
        j.startTime = T0;
        j.endTime = T0.plusSeconds(100);
        j.gid = 1000;
        List<StepRow> rows = List.of(
                step("0", "n02", T0.plusSeconds(5), T0.plusSeconds(60), "FAILED", 2, 0, 1000, 100, 5000),
                step("batch", "n01", T0, T0.plusSeconds(100), "FAILED", 1, 0, 10, 5, 2000),
                step("0", "n01", T0.plusSeconds(4), T0.plusSeconds(50), "COMPLETED", 0, 0, 900, 90, 7000));

        SacctRecord r = SacctReport.record(j, rows, T0.plusSeconds(1000));

        assertThat(r.steps()).extracting(SacctRecord.SacctStep::jobIdFull).containsExactly("7.batch", "7.0");
        SacctRecord.SacctStep s0 = r.steps().get(1);
        assertThat(s0.nodeList()).isEqualTo("n[01-02]");
        assertThat(s0.state()).isEqualTo("FAILED");
        assertThat(s0.exitCode()).isEqualTo("2:0");
        assertThat(s0.elapsedSeconds()).isEqualTo(56);
        assertThat(s0.totalCpuMs()).isEqualTo(2090);
        assertThat(s0.maxRssKb()).isEqualTo(7000);
        assertThat(r.exitCode()).isEqualTo("1:0");
        assertThat(r.derivedExitCode()).isEqualTo("2:0");
        assertThat(r.elapsedSeconds()).isEqualTo(100);
        assertThat(r.totalCpuMs()).isEqualTo(2105);
        assertThat(r.userCpuMs()).isEqualTo(1910);
        assertThat(r.maxRssKb()).isEqualTo(7000);
        assertThat(r.group()).isEqualTo("1000");
    }

    @Test
    void aStepStillRunningOnOneNodeIsRunning() {
        JobRow j = new JobRow();
        j.jobId = 7;
        j.startTime = T0;
        List<StepRow> rows = List.of(
                step("0", "n01", T0, T0.plusSeconds(10), "COMPLETED", 0, 0, 1, 1, 1),
                step("0", "n02", T0, null, null, 0, 0, 0, 0, 0));

        SacctRecord r = SacctReport.record(j, rows, T0.plusSeconds(30));

        assertThat(r.state()).isEqualTo("PENDING");
        assertThat(r.elapsedSeconds()).isEqualTo(30);
        assertThat(r.steps().getFirst().state()).isEqualTo("RUNNING");
        assertThat(r.steps().getFirst().end()).isNull();
        assertThat(r.steps().getFirst().elapsedSeconds()).isEqualTo(30);
        assertThat(r.nodeList()).isEqualTo("None assigned");
        assertThat(r.allocTres()).isNull();
    }
}
