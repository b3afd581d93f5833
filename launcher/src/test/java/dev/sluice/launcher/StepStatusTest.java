package dev.sluice.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class StepStatusTest {

    @Test
    void parsesANormalEnd() {
        StepStatus s = StepStatus.parse("exit_code=3 signal=0 user_ms=12 system_ms=4 max_rss_kb=1452\n");
        assertThat(s).isEqualTo(new StepStatus(3, 0, 12, 4, 1452, Optional.empty()));
        assertThat(s.setupFailed()).isFalse();
        assertThat(s.launcherExitCode()).isEqualTo(3);
    }

    @Test
    void aSignalledTaskExitsWith128PlusTheSignal() {
        StepStatus s = StepStatus.parse("exit_code=0 signal=9 user_ms=0 system_ms=0 max_rss_kb=0");
        assertThat(s.signal()).isEqualTo(9);
        assertThat(s.launcherExitCode()).isEqualTo(137);
    }

    @Test
    void decodesTheSetupError() {
        StepStatus s = StepStatus.parse("exit_code=254 signal=0 user_ms=0 system_ms=0 max_rss_kb=1200 "
                + "error=cannot%20chdir%20to%20%2Fno%2Bpe%3A%20No%20such%20file%20or%20directory");
        assertThat(s.setupFailed()).isTrue();
        assertThat(s.error()).contains("cannot chdir to /no+pe: No such file or directory");
    }

    @Test
    void ignoresKeysItDoesNotKnowButRequiresTheOnesItDoes() {
        assertThat(StepStatus.parse("exit_code=0 signal=0 user_ms=1 system_ms=2 max_rss_kb=3 core_dumped=0").maxRssKb())
                .isEqualTo(3);
        assertThatThrownBy(() -> StepStatus.parse("exit_code=0 signal=0")).hasMessageContaining("lacks user_ms");
        assertThatThrownBy(() -> StepStatus.parse("")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> StepStatus.parse("exit_code=x signal=0 user_ms=1 system_ms=2 max_rss_kb=3"))
                .hasMessageContaining("non-numeric exit_code");
    }
}
