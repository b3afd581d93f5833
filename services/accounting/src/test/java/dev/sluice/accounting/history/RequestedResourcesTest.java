package dev.sluice.accounting.history;

import dev.sluice.contracts.job.Resources;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RequestedResourcesTest {
    @Test
    void cpusAreTasksTimesCpusPerTaskAndMemoryIsATotal() {
        var perNode = new Resources(2, null, 8, 4, 2, 4096L, null, List.of("gpu:h100:2"), false);
        assertThat(RequestedResources.of(perNode)).isEqualTo(new RequestedResources(16, 8192L, 2, 4));

        var perCpu = new Resources(null, null, 4, null, null, null, 500L, List.of("gpu"), false);
        assertThat(RequestedResources.of(perCpu)).isEqualTo(new RequestedResources(4, 2000L, 1, 1));
    }

    @Test
    void nothingGivenMeansSlurmDefaults() {
        assertThat(RequestedResources.of(null)).isEqualTo(new RequestedResources(1, null, 1, 0));
        var bare = new Resources(null, null, null, null, null, null, null, null, null);
        assertThat(RequestedResources.of(bare)).isEqualTo(new RequestedResources(1, null, 1, 0));
    }
}
