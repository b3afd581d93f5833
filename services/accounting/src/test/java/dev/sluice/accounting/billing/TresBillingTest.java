package dev.sluice.accounting.billing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TresBillingTest {
    /** Slurm's documented example (slurm.conf, TRESBillingWeights), and what the GPU weight adds. */
    @ParameterizedTest(name = "{0} {1} cpus {2} MiB {3} gpus -> {4}")
    @CsvSource({
            "'CPU=1.0,Mem=0.25G', false, 1, 61440, 0, 16",
            "'CPU=1.0,Mem=0.25G', false, 16, 1024, 0, 16.25",
            "'CPU=1.0,Mem=0.25G', false, 16, 61440, 0, 31",
            "'CPU=1.0,Mem=0.25G', true, 1, 61440, 0, 15",
            "'CPU=1.0,Mem=0.25G', true, 16, 1024, 0, 16",
            "'CPU=1.0,Mem=0.25G', true, 16, 61440, 0, 16",
            "'CPU=1.0,Mem=0.25G,GRES/gpu=2.0', false, 4, 4096, 2, 9",
            "'CPU=1.0,Mem=0.25G,GRES/gpu=2.0', true, 4, 4096, 8, 16",
            "'', false, 8, 4096, 2, 8",
    })
    void billsAsSlurmDocuments(String weights, boolean maxTres, int cpus, long memMb, int gpus, double billed) {
        TresBilling b = TresBilling.parse(weights, maxTres);
        assertThat(b.bill(new TresBilling.Alloc(cpus, memMb, 1, gpus == 0 ? Map.of() : Map.of("gpu", gpus))))
                .isEqualTo(billed);
    }

    @Test
    void typedGpuWeightsApplyToTheirTypeAndUntypedToAll() {
        TresBilling b = TresBilling.parse("GRES/gpu:h100=4.0,GRES/gpu=1.0", false);
        var alloc = new TresBilling.Alloc(0, 0, 1, Map.of("gpu:h100", 2, "gpu:a100", 1));
        assertThat(b.bill(alloc)).isEqualTo(2 * 4.0 + 3 * 1.0);
    }

    @Test
    void billingCountDropsTheFraction() {
        TresBilling b = TresBilling.parse("CPU=1.0,Mem=0.25G", false);
        assertThat(b.billingCount(new TresBilling.Alloc(16, 1024, 1, Map.of()))).isEqualTo(16);
    }

    @Test
    void badWeightsAreRefused() {
        assertThatThrownBy(() -> TresBilling.parse("CPU=one", false))
                .hasMessage("Invalid TRESBillingWeights: CPU=one");
    }
}
