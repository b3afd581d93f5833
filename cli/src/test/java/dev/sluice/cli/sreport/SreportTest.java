package dev.sluice.cli.sreport;

import dev.sluice.cli.Harness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class SreportTest {
    static final String ACCOUNTS = """
            {"report": "AccountUtilizationByUser", "cluster": "sluice", "start": "2026-10-23T10:00:00Z",
             "end": "2026-11-22T10:00:00Z", "seconds": 2592000, "tres": "cpu", "allocated": 14400,
             "reported": 28800,
             "lines": [{"account": "root", "user": "", "level": 0, "used": 14400},
                       {"account": "research", "user": "", "level": 1, "used": 10800},
                       {"account": "research", "user": "alice", "level": 2, "used": 7200},
                       {"account": "research", "user": "bob", "level": 2, "used": 3600}]}""";

    Harness h;

    @BeforeEach
    void start() throws IOException {
        h = new Harness();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void accountUtilizationByUserInPercentAsTypedWithTheOptionAfterTheWords() {
        h.answer(200, ACCOUNTS);
        Harness.Result r = h.run("sreport", "cluster", "AccountUtilizationByUser", "start=now-30days", "-t", "Percent");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.join("\n",
                "-".repeat(80),
                "Cluster/Account/User Utilization 2026-10-23T10:00:00 - 2026-11-22T09:59:59 (2592000 secs)",
                "Usage reported in Percentage of Total",
                "-".repeat(80),
                "  Cluster         Account     Login     Proper Name      Used    Energy ",
                "--------- --------------- --------- --------------- --------- --------- ",
                "   sluice            root                              50.00%     0.00% ",
                "   sluice        research                              37.50%     0.00% ",
                "   sluice        research     alice           alice    25.00%     0.00% ",
                "   sluice        research       bob             bob    12.50%     0.00% ",
                ""));
        assertThat(h.requestList()).singleElement().satisfies(q -> assertThat(q.pathAndQuery())
                .isEqualTo("/api/v1/sreport/AccountUtilizationByUser?start=now-30days"));
    }

    @Test
    void minutesByDefaultHoursWithMinusTAndGpuTres() {
        h.answer(200, ACCOUNTS);
        assertThat(h.run("sreport", "-n", "-P", "cluster", "AccountUtilizationByUser").out())
                .isEqualTo("sluice|root|||240|0\nsluice|research|||180|0\nsluice|research|alice|alice|120|0\n"
                        + "sluice|research|bob|bob|60|0\n");
        assertThat(h.run("sreport", "-tHours", "-n", "-P", "cluster", "UserUtilizationByAccount").out())
                .startsWith("sluice|||root|4|0\n");
        Harness.Result gpu = h.run("sreport", "cluster", "Utilization", "--tres=gres/gpu", "-t", "Hours");
        assertThat(gpu.out()).contains("Usage reported in TRES Hours\n", "TRES Name");
        assertThat(h.requestList().get(2).pathAndQuery()).isEqualTo("/api/v1/sreport/Utilization?tres=gres%2Fgpu");
    }

    @Test
    void badInputSaysWhy() {
        h.answer(400, "{\"error\": \"Invalid time specification: yesterdayy\"}");
        Harness.Result r = h.run("sreport", "cluster", "Utilization", "start=yesterdayy");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("Invalid time specification: yesterdayy\n");
        assertThat(h.run("sreport", "cluster", "Utilization", "-t", "Fortnights").rc()).isEqualTo(1);
    }
}
