package dev.sluice.pmi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class StepLayoutTest {

    @Test
    void blockLayoutsCompressToOneTriplePerRunOfEqualNodes() {
        assertThat(StepLayout.block("k", 2).processMapping()).isEqualTo("(vector,(0,1,2))");
        assertThat(StepLayout.block("k", 2, 2).processMapping()).isEqualTo("(vector,(0,2,2))");
        assertThat(StepLayout.block("k", 4, 4, 4, 4).processMapping()).isEqualTo("(vector,(0,4,4))");
    }

    @Test
    void unevenBlockLayoutsUseOneTriplePerDistinctRun() {
        assertThat(StepLayout.block("k", 3, 1).processMapping()).isEqualTo("(vector,(0,1,3),(1,1,1))");
        assertThat(StepLayout.block("k", 2, 2, 1).processMapping()).isEqualTo("(vector,(0,2,2),(2,1,1))");
        assertThat(StepLayout.block("k", 1, 3, 3).processMapping()).isEqualTo("(vector,(0,1,1),(1,2,3))");
    }

    @Test
    void cyclicLayoutsCompressToTheirPeriod() {
        assertThat(StepLayout.cyclic("k", 2, 4).processMapping()).isEqualTo("(vector,(0,2,1))");
        // 5 ranks on 2 nodes: the last round is short, so the vector cannot repeat.
        assertThat(StepLayout.cyclic("k", 2, 5).processMapping()).isEqualTo("(vector,(0,2,1),(0,2,1),(0,1,1))");
    }

    @Test
    void arbitraryPlacementIsSpelledRankRunByRankRun() {
        StepLayout layout = new StepLayout("k", List.of(List.of(0, 3), List.of(1, 2)));
        assertThat(layout.processMapping()).isEqualTo("(vector,(0,1,1),(1,1,2),(0,1,1))");
        assertThat(layout.nodeOf(2)).isEqualTo(1);
        assertThat(layout.size()).isEqualTo(4);
    }

    @Test
    void rejectsLayoutsThatLoseOrDuplicateRanks() {
        assertThatThrownBy(() -> new StepLayout("k", List.of(List.of(0, 1), List.of(1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StepLayout("k", List.of(List.of(0), List.of())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StepLayout.block("has space", 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
