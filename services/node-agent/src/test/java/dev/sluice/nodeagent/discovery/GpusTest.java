package dev.sluice.nodeagent.discovery;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GpusTest {
    @Test
    void configuredGresNamesTypedGpusWithTheirDeviceFiles() {
        Gpus g = Gpus.discover(Optional.of("gpu:h100:4"), Optional.of("/dev/nvidia[0-3]"), Optional.of("0-1"), "none");
        assertThat(g.gres()).containsExactly("gpu:h100:4");
        assertThat(g.gpus()).extracting(Gpus.Gpu::device).containsExactly(Path.of("/dev/nvidia0"),
                Path.of("/dev/nvidia1"), Path.of("/dev/nvidia2"), Path.of("/dev/nvidia3"));
        assertThat(g.byIndex(2).orElseThrow().cores()).containsExactly(0, 1);
        assertThat(Gpus.discover(Optional.of("gpu:2"), Optional.of("/d/a,/d/b"), Optional.empty(), "none").gres())
                .containsExactly("gpu:2");
    }

    @Test
    void aCountThatDoesNotMatchTheDeviceFilesIsRefused() {
        assertThatThrownBy(() -> Gpus.discover(Optional.of("gpu:h100:4"), Optional.of("/dev/nvidia[0-1]"),
                Optional.empty(), "none")).hasMessageContaining("says 4 GPUs but sluice.node.gres-files names 2");
        assertThatThrownBy(() -> Gpus.discover(Optional.of("mps:4"), Optional.of("/x"), Optional.empty(), "none"))
                .hasMessageContaining("gpu:h100:4");
    }

    @Test
    void nvidiaSmiOutputGivesIndicesModelAndDeviceFiles() {
        Gpus g = Gpus.parseNvidiaSmi("0, NVIDIA H100 80GB HBM3, 0\n1, NVIDIA H100 80GB HBM3, 3\n");
        assertThat(g.gres()).containsExactly("gpu:h100:2");
        assertThat(g.byIndex(1).orElseThrow().device()).isEqualTo(Path.of("/dev/nvidia3"));
        assertThat(Gpus.model("Tesla V100-SXM2-16GB")).isEqualTo("v100");
        assertThat(Gpus.model("NVIDIA A100-SXM4-80GB")).isEqualTo("a100");
    }

    @Test
    void noNvidiaSmiAndNoConfigurationMeansNoGpus() {
        assertThat(Gpus.discover(Optional.empty(), Optional.empty(), Optional.empty(), "/nonexistent/nvidia-smi"))
                .isEqualTo(Gpus.NONE);
        assertThat(Gpus.NONE.gres()).isEqualTo(List.of());
    }
}
