package dev.sluice.runner;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnitsTest {
    @Test
    void nodeAgentsGetDisjointCpuSlices() {
        CpuSlices.Assignment a = CpuSlices.assign(CpuSlices.expand("0-7"), 3);
        assertThat(a.perNode()).containsExactly("0-2", "3-5", "6-7");
        assertThat(a.note()).isNull();
        assertThat(CpuSlices.assign(CpuSlices.expand("0,2,4-5"), 2).perNode()).containsExactly("0,2", "4-5");
        assertThat(CpuSlices.assign(CpuSlices.expand("0-15"), 1).perNode()).containsExactly((String) null);
    }

    @Test
    void fewerCpusThanNodesSharesAllAndSaysSo() {
        CpuSlices.Assignment a = CpuSlices.assign(List.of(0, 1), 3);
        assertThat(a.perNode()).containsExactly(null, null, null);
        assertThat(a.note()).contains("2 CPUs for 3 node agents");
    }

    @Test
    void optionsDefaultToTheRepoDataFolderAndRoundTrip() {
        RunnerOptions o = RunnerOptions.parse(List.of("--nodes", "2"), Path.of("/r"), null);
        assertThat(o.data()).isEqualTo(Path.of("/r/.sluice"));
        assertThat(o.nodes()).isEqualTo(2);
        assertThat(RunnerOptions.parse(List.of(), Path.of("/r"), "/h").data()).isEqualTo(Path.of("/h"));
        RunnerOptions again = RunnerOptions.parse(
                RunnerOptions.parse(List.of("--data=/d", "--skip-missing", "--free-ports"), Path.of("/r"), null).toArgs(),
                Path.of("/x"), null);
        assertThat(again).isEqualTo(new RunnerOptions(Path.of("/r"), Path.of("/d"), 1, true, true,
                java.time.Duration.ofSeconds(180)));
        assertThatThrownBy(() -> RunnerOptions.parse(List.of("--nodes", "0"), Path.of("/r"), null))
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> RunnerOptions.parse(List.of("--bogus"), Path.of("/r"), null))
                .hasMessage("unknown option --bogus");
    }

    @Test
    void planStartsInfraThenServicesThenNumberedNodeAgents() {
        RunnerOptions o = RunnerOptions.parse(List.of("--nodes", "2"), Path.of("/r"), null);
        List<Component> plan = Component.plan(o, CpuSlices.assign(List.of(0, 1, 2, 3), 2), p -> p);
        assertThat(plan).extracting(Component::name).containsExactly(
                "kafka", "postgres", "accounting", "submit", "scheduler", "identity", "node01", "node02");
        assertThat(plan).extracting(Component::port).containsExactly(19092, 15432, 6819, 6820, 6821, 6822, 6830, 6831);
        assertThat(plan.get(7).jar()).isEqualTo(Path.of("/r/services/node-agent/target/quarkus-app/quarkus-run.jar"));
        assertThat(plan.get(7).cpus()).isEqualTo("2-3");
    }
}
