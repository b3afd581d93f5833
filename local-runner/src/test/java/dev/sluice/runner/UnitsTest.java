package dev.sluice.runner;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
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

    @Test
    void aStandbySchedulerIsASecondSchedulerOnItsOwnPortBeforeTheNodeAgents() {
        RunnerOptions o = RunnerOptions.parse(List.of("--standby-scheduler"), Path.of("/r"), null);
        assertThat(o.standbyScheduler()).isTrue();
        assertThat(RunnerOptions.parse(o.toArgs(), Path.of("/x"), null)).isEqualTo(o);
        assertThat(RunnerOptions.parse(List.of(), Path.of("/r"), null).standbyScheduler()).isFalse();
        List<Component> plan = Component.plan(o, CpuSlices.assign(List.of(0, 1), 1), p -> p);
        assertThat(plan).extracting(Component::name).containsExactly(
                "kafka", "postgres", "accounting", "submit", "scheduler", "identity", "scheduler-standby", "node01");
        Component standby = plan.get(6);
        assertThat(standby.port()).isEqualTo(6823);
        assertThat(standby.jar()).isEqualTo(plan.get(4).jar());
        assertThat(plan).filteredOn(Component::isScheduler).extracting(Component::name)
                .containsExactly("scheduler", "scheduler-standby");
    }

    @Test
    void cpusAndFakeGpusPerNodeRoundTripThroughTheSupervisorsCommandLine() {
        RunnerOptions o = RunnerOptions.parse(List.of("--nodes", "4", "--cpus-per-node", "8", "--gpus-per-node=4:h100"),
                Path.of("/r"), null);
        assertThat(o.cpusPerNode()).isEqualTo(8);
        assertThat(o.gpus()).isEqualTo(new RunnerOptions.Gpus(4, "h100"));
        assertThat(o.gpus().gres()).isEqualTo("gpu:h100:4");
        assertThat(RunnerOptions.parse(o.toArgs(), Path.of("/x"), null)).isEqualTo(o);
        assertThat(RunnerOptions.Gpus.parse("2").gres()).isEqualTo("gpu:2");
        assertThat(RunnerOptions.Gpus.parse("a100:8").gres()).isEqualTo("gpu:a100:8");
        assertThatThrownBy(() -> RunnerOptions.Gpus.parse("four")).hasMessageContaining("positive");
        assertThatThrownBy(() -> RunnerOptions.Gpus.parse("4:h1 00")).hasMessageContaining("N:type");
        assertThatThrownBy(() -> RunnerOptions.parse(List.of("--cpus-per-node", "0"), Path.of("/r"), null))
                .hasMessageContaining("positive");
        assertThat(RunnerOptions.parse(List.of(), Path.of("/r"), null).gpus()).isNull();
    }

    @Test
    void fakeGpusAreCharacterDevicesWithNvidiasMajorAndMinorsNumberedAcrossNodes(@org.junit.jupiter.api.io.TempDir Path data)
            throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "mknod needs root, as the node agent that uses the devices does");
        RunnerOptions o = RunnerOptions.parse(List.of("--data", data.toString(), "--nodes", "2", "--gpus-per-node", "3"),
                Path.of("/r"), null);
        Supervisor s = new Supervisor(o);
        List<Component> plan = Component.plan(o, CpuSlices.assign(List.of(0, 1), 2), p -> p);
        Component node02 = plan.get(7);
        assertThat(node02.name()).isEqualTo("node02");
        s.makeFakeGpus(node02);
        List<Path> files = s.gpuFiles(node02);
        assertThat(files).containsExactly(data.resolve("nodes/node02/gpus/nvidia3"), data.resolve("nodes/node02/gpus/nvidia4"),
                data.resolve("nodes/node02/gpus/nvidia5"));
        for (int i = 0; i < 3; i++) {
            Path f = files.get(i);
            assertThat(Files.isRegularFile(f)).isFalse();
            Process stat = new ProcessBuilder("stat", "-c", "%F %t %T", f.toString()).start();
            assertThat(new String(stat.getInputStream().readAllBytes()).strip())
                    .isEqualTo("character special file c3 " + Integer.toHexString(3 + i));
        }
        assertThat(s.clusterConfig()).endsWith("NodeName=node01 Gres=gpu:3\nNodeName=node02 Gres=gpu:3\n")
                .startsWith(dev.sluice.scheduler.core.config.ClusterConfig.LOCAL_DEFAULT);
        // A second start (up after down) makes them again rather than failing on the old ones.
        s.makeFakeGpus(node02);
        assertThat(files.getFirst()).exists();
    }
}
