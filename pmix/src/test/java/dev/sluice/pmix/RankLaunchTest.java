package dev.sluice.pmix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RankLaunchTest {

    @Test
    void anyArgumentAndVariableSurvivesTheFileAndTheHelperOption(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ranks");
        var r0 = new RankLaunch.Entry(List.of("sluice-stepd", "--cpus", "0", "--", "prog", "a b\tc\nd", ""),
                Map.of("A", "x=y", "EMPTY", "", "NL", "1\n2"));
        var r3 = new RankLaunch.Entry(List.of("prog"), Map.of());
        RankLaunch.write(file, Map.of(3, r3, 0, r0));
        assertThat(RankLaunch.read(file)).containsExactly(Map.entry(0, r0), Map.entry(3, r3));

        HelperSpec spec = HelperSpec.parse(new String[]{"--job", "1", "--step", "0", "--nodes", "n", "--proc-map",
                "0,1", "--node-index", "0", "--channel", "127.0.0.1:0", "--uid", "5", "--gid", "6", "--work-dir",
                "/w", "--rank-launch", file.toString(), "--", "prog"});
        assertThat(spec.rankLaunch()).isEqualTo(file);
        assertThat(HelperSpec.parse(spec.toArgs().toArray(String[]::new))).isEqualTo(spec);
    }

    @Test
    void aDamagedFileIsRefusedNotHalfRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ranks");
        Files.writeString(file, "rank\0" + "0\0env\0" + "2\0A=1\0");
        assertThatThrownBy(() -> RankLaunch.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad rank launch file");
    }
}
