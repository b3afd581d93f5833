package dev.sluice.cli.common;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SlurmTextTest {
    @Test
    void durationsAsSlurmWritesThem() {
        assertThat(SlurmText.secs2time(5)).isEqualTo("0:05");
        assertThat(SlurmText.secs2time(3723)).isEqualTo("1:02:03");
        assertThat(SlurmText.secs2time(86400)).isEqualTo("1-00:00:00");
        assertThat(SlurmText.mins2time(5L)).isEqualTo("00:05:00");
        assertThat(SlurmText.mins2time(1440L * 7)).isEqualTo("7-00:00:00");
        assertThat(SlurmText.mins2time(null)).isEqualTo("UNLIMITED");
        assertThat(SlurmText.elapsed(1)).isEqualTo("00:00:01");
        assertThat(SlurmText.elapsed(2 * 86400 + 3600)).isEqualTo("2-01:00:00");
        assertThat(SlurmText.cpuTime(61_250)).isEqualTo("01:01.250");
        assertThat(SlurmText.cpuTime(3_600_000)).isEqualTo("01:00:00");
    }

    @Test
    void sizesAndFields() {
        assertThat(SlurmText.size(1024, 'M')).isEqualTo("1G");
        assertThat(SlurmText.size(1000, 'M')).isEqualTo("1000M");
        assertThat(SlurmText.size(1536, 'K')).isEqualTo("1.50M");
        assertThat(SlurmText.sacctField("hello_world", 10)).isEqualTo("hello_wor+");
        assertThat(SlurmText.sacctField("42", -12)).isEqualTo("42          ");
        assertThat(SlurmText.sacctField(null, 3)).isEqualTo("   ");
        assertThat(SlurmText.squeueField("hello_world", 8, true)).isEqualTo("hello_wo");
        assertThat(SlurmText.squeueField("R", 2, true)).isEqualTo(" R");
        assertThat(SlurmText.squeueField("x", 3, false)).isEqualTo("x  ");
        assertThat(SlurmText.squeueField("anything", 0, true)).isEqualTo("anything");
    }

    @Test
    void getoptFormsAsGnuAcceptsThem() throws Getopt.UsageException {
        List<Getopt.Opt> specs = List.of(Getopt.Opt.arg('u', "user"), Getopt.Opt.flag('X', "allocations"),
                Getopt.Opt.flag('n', "noheader"), Getopt.Opt.arg('j', "jobs"));
        Getopt.Parsed p = Getopt.parse("sacct", specs, List.of("-Xnj42", "--user=a,b", "-u", "c", "--alloc", "x"));
        assertThat(p.has("allocations")).isTrue();
        assertThat(p.has("noheader")).isTrue();
        assertThat(p.list("jobs")).containsExactly("42");
        assertThat(p.list("user")).containsExactly("a", "b", "c");
        assertThat(p.positionals()).containsExactly("x");
        assertThatThrownBy(() -> Getopt.parse("sacct", specs, List.of("-Q")))
                .hasMessage("sacct: invalid option -- 'Q'");
        assertThatThrownBy(() -> Getopt.parse("sacct", specs, List.of("--user")))
                .hasMessage("sacct: option '--user' requires an argument");
    }

    @Test
    void endpointsFromEnvironmentThenRunnerFileThenDefaults(@TempDir Path home) throws IOException {
        assertThat(Endpoints.resolve(Map.of(), null).submit().toString()).isEqualTo("http://127.0.0.1:6820");
        Files.writeString(home.resolve("endpoints.properties"),
                "submit.url=http://127.0.0.1:7820\naccounting.url=http://127.0.0.1:7819/\n");
        Endpoints fromFile = Endpoints.resolve(Map.of("SLUICE_HOME", home.toString()), null);
        assertThat(fromFile.submit().toString()).isEqualTo("http://127.0.0.1:7820");
        assertThat(fromFile.accounting().toString()).isEqualTo("http://127.0.0.1:7819");
        Endpoints fromDefaultHome = Endpoints.resolve(Map.of(), home.toString());
        assertThat(fromDefaultHome.submit().toString()).isEqualTo("http://127.0.0.1:7820");
        Endpoints fromEnv = Endpoints.resolve(Map.of("SLUICE_HOME", home.toString(),
                "SLUICE_SUBMIT_URL", "http://h:1"), null);
        assertThat(fromEnv.submit().toString()).isEqualTo("http://h:1");
        assertThat(fromEnv.accounting().toString()).isEqualTo("http://127.0.0.1:7819");
    }
}
