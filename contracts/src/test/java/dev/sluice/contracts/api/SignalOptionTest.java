package dev.sluice.contracts.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SignalOptionTest {

    @Test
    void readsSlurmsForms() {
        assertThat(SignalOption.parse("B:USR1@50")).isEqualTo(new SignalOption("B", 10, 50));
        assertThat(SignalOption.parse("SIGTERM").canonical()).isEqualTo("15@60");
        assertThat(SignalOption.parse("usr2@0").canonical()).isEqualTo("12@0");
        assertThat(SignalOption.parse("R:10@65535").canonical()).isEqualTo("R:10@65535");
        assertThat(SignalOption.parse("b:2").batchOnly()).isTrue();
        assertThat(SignalOption.parse("2@1").batchOnly()).isFalse();
    }

    @Test
    void refusesWhatSlurmRefuses() {
        for (String bad : new String[]{"", "FOO", "USR1@", "USR1@65536", "USR1@-1", "X:USR1", "0", "65", "USR1@1s",
                ":USR1"}) {
            assertThatThrownBy(() -> SignalOption.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("Invalid --signal specification");
        }
    }
}
