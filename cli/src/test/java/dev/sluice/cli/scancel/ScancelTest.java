package dev.sluice.cli.scancel;

import dev.sluice.cli.Harness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class ScancelTest {
    Harness h;

    @BeforeEach
    void start() throws IOException {
        h = new Harness().answer(202, "");
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void oneDeletePerJob() {
        Harness.Result r = h.run("scancel", "42", "43");
        assertThat(r.rc()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(h.requestList()).extracting(q -> q.method() + " " + q.pathAndQuery())
                .containsExactly("DELETE /api/v1/jobs/42", "DELETE /api/v1/jobs/43");
    }

    @Test
    void serviceRefusalIsReportedPerJob() {
        h.answer(404, "{\"error\": \"Invalid job id specified\"}");
        Harness.Result r = h.run("scancel", "42");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("scancel: error: Kill job error on job id 42: Invalid job id specified\n");
        h.answer(409, "{\"error\": \"Job/step already completing or completed\"}");
        r = h.run("scancel", "7");
        assertThat(r.err()).isEqualTo(
                "scancel: error: Kill job error on job id 7: Job/step already completing or completed\n");
    }

    @Test
    void badIdsAreRefusedBeforeAnyCancel() {
        Harness.Result r = h.run("scancel", "42", "4x2");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("scancel: error: Invalid job id 4x2\n");
        r = h.run("scancel");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("scancel: error: No job identification provided\n");
        assertThat(h.requestList()).isEmpty();
    }

    @Test
    void absentServiceFailsEachJob() throws IOException {
        Harness.Result r = h.run(Harness.nobodyListening(), "scancel", "5");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(
                "scancel: error: Kill job error on job id 5: Unable to contact slurm controller (connect failure)\n");
    }
}
