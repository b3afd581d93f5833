package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** An agent that stops and starts again (a new supervisor on the same state dir) never loses a job's end. */
class JobSupervisorRestartTest {
    static final String NODE = "rnode";

    @TempDir
    Path stateDir;
    @TempDir
    Path workDir;

    final List<JobSupervisor> supervisors = new ArrayList<>();

    static class Collected implements StepEventSink {
        final List<Object> events = new CopyOnWriteArrayList<>();

        @Override
        public void started(StepStarted event) {
            events.add(event);
        }

        @Override
        public void finished(StepFinished event) {
            events.add(event);
        }

        StepFinished awaitFinished(long jobId) {
            return await("end of job " + jobId, () -> finished(jobId).stream().findFirst());
        }

        List<StepFinished> finished(long jobId) {
            return events.stream().filter(e -> e instanceof StepFinished f && f.jobId() == jobId)
                    .map(StepFinished.class::cast).toList();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void openWorkDir() throws IOException {
        TestSettings.openToAll(workDir);
    }

    @AfterEach
    void stop() {
        supervisors.forEach(JobSupervisor::close);
    }

    @Test
    void runningJobIsAdoptedAndReportedWhenItEnds() throws IOException {
        long id = 101;
        JobSupervisor first = supervisor(new Collected());
        first.launch(launch(id, "#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.1; done\necho done\nexit 4\n"));
        JobDir dir = new JobDir(id, stateDir.resolve("jobs/" + id));
        await("wrapper pid recorded", () -> dir.wrapperPid());
        first.close();

        Collected sink = new Collected();
        JobSupervisor second = supervisor(sink);
        assertThat(second.recover()).containsExactly(id);
        second.start(Duration.ofMillis(100));
        assertThat(second.runningJobs()).containsExactly(id);
        Files.createFile(workDir.resolve("go"));

        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.exitCode()).isEqualTo(4);
        assertThat(Files.readString(workDir.resolve("slurm-" + id + ".out"))).isEqualTo("done\n");
        assertThat(second.runningJobs()).isEmpty();
    }

    @Test
    void jobThatEndedWhileTheAgentWasDownIsReportedOnce() {
        long id = 102;
        JobSupervisor first = supervisor(new Collected());
        LaunchRequested launch = launch(id, "#!/bin/sh\necho quick\n");
        first.launch(launch);
        JobDir dir = new JobDir(id, stateDir.resolve("jobs/" + id));
        await("status written", dir::status);
        first.close();

        Collected sink = new Collected();
        JobSupervisor second = supervisor(sink);
        assertThat(second.recover()).isEmpty();
        second.start(Duration.ofMillis(100));
        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        assertThat(end.exitCode() + ":" + end.signal()).isEqualTo("0:0");
        await("reported mark", () -> dir.has(JobDir.REPORTED) ? Optional.of(true) : Optional.empty());
        second.close();

        Collected third = new Collected();
        JobSupervisor again = supervisor(third);
        again.recover();
        // a launch replayed from Kafka after the restart does not run the job again either
        // (the same record: a new launch of the same id, a requeued job placed here again, is a new run)
        assertThat(again.launch(launch)).isEqualTo(JobSupervisor.LaunchOutcome.DUPLICATE);
        // the marks are on disk, so a further restart has nothing to tell
        again.monitor();
        assertThat(third.events).isEmpty();
    }

    @Test
    void adoptedJobCanBeCancelledWithAllItsProcesses() {
        long id = 103;
        String marker = "600.0" + ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L);
        JobSupervisor first = supervisor(new Collected());
        first.launch(launch(id, "#!/bin/bash\nsetsid sleep " + marker + " &\nsleep " + marker + "\n"));
        await("both sleeps running", () -> processesMentioning(marker).size() >= 2 ? Optional.of(true) : Optional.empty());
        first.close();

        Collected sink = new Collected();
        JobSupervisor second = supervisor(sink);
        assertThat(second.recover()).containsExactly(id);
        second.start(Duration.ofMillis(100));
        assertThat(second.signal(id, "CANCELLED", Duration.ofSeconds(1))).isTrue();
        assertThat(sink.awaitFinished(id).state()).isEqualTo(JobState.CANCELLED);
        await("no process of the job left", () -> processesMentioning(marker).isEmpty() ? Optional.of(true) : Optional.empty());
    }

    @Test
    void jobWhoseProcessesVanishedWhileTheAgentWasDownIsReportedFailed() {
        long id = 104;
        String marker = "600.0" + ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L);
        JobSupervisor first = supervisor(new Collected());
        first.launch(launch(id, "#!/bin/sh\nsleep " + marker + "\n"));
        JobDir dir = new JobDir(id, stateDir.resolve("jobs/" + id));
        long[] wrapper = await("wrapper pid recorded", dir::wrapperPid);
        await("sleep running", () -> processesMentioning(marker).isEmpty() ? Optional.empty() : Optional.of(true));
        first.close();
        // the whole job dies hard (OOM killer, an operator) while no agent watches
        // (the wrapper first, or it would record the script's death)
        ProcessHandle.of(wrapper[0]).ifPresent(w -> {
            List<ProcessHandle> below = w.descendants().toList();
            w.destroyForcibly();
            below.forEach(ProcessHandle::destroyForcibly);
        });
        await("sleep gone", () -> processesMentioning(marker).isEmpty() ? Optional.of(true) : Optional.empty());
        await("wrapper gone", () -> ProcFs.isAlive(wrapper[0], wrapper[1]) ? Optional.empty() : Optional.of(true));

        Collected sink = new Collected();
        JobSupervisor second = supervisor(sink);
        assertThat(second.recover()).isEmpty();
        second.start(Duration.ofMillis(100));
        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.detail()).contains("left no exit status");
    }

    @Test
    void timeLimitEndsTheJobAsTimeout() {
        long id = 105;
        String marker = "600.0" + ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L);
        Collected sink = new Collected();
        JobSupervisor s = supervisor(sink);
        s.timeLimitMinute(Duration.ofMillis(500));
        s.start(Duration.ofMillis(100));
        LaunchRequested l = launch(id, "#!/bin/sh\nsleep " + marker + "\n");
        s.launch(new LaunchRequested(l.node(), l.jobId(), l.time(), l.owner(), l.spec(), l.allocation(), 1,
                l.clusterName()));
        StepFinished end = sink.awaitFinished(id);
        assertThat(end.state()).isEqualTo(JobState.TIMEOUT);
        assertThat(end.exitCode() + ":" + end.signal()).isEqualTo("0:15");
        await("no process of the job left", () -> processesMentioning(marker).isEmpty() ? Optional.of(true) : Optional.empty());
        assertThat(workDir.resolve("slurm-" + id + ".out")).content().contains("DUE TO TIME LIMIT");
    }

    private JobSupervisor supervisor(StepEventSink sink) {
        try {
            JobSupervisor s = new JobSupervisor(TestSettings.of(NODE, stateDir), sink);
            supervisors.add(s);
            return s;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void scriptArgumentsReachTheScriptAndOpenModeAppendKeepsEarlierOutput() throws IOException {
        long id = 110;
        Path out = workDir.resolve("args.out");
        Files.writeString(out, "earlier\n");
        java.nio.file.Files.setOwner(out, java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService()
                .lookupPrincipalByName("nobody"));
        JobSupervisor supervisor = supervisor(new Collected());
        JobSpec spec = new JobSpec("r", "cpu", null, null, "#!/bin/sh\necho \"$# [$1] [$2]\"\n", workDir.toString(),
                out.toString(), null, Map.of(), Resources.of(1, 1, null), 0, null, null, null, null, null, null, null,
                null, "append", null, List.of("a b", "c"));
        supervisor.launch(new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 0, "c"));
        supervisor.start(Duration.ofMillis(100));
        JobDir dir = new JobDir(id, stateDir.resolve("jobs/" + id));
        await("status written", dir::status);
        assertThat(Files.readString(out)).isEqualTo("earlier\n2 [a b] [c]\n");
        supervisor.close();
    }

    private LaunchRequested launch(long id, String script) {
        JobSpec spec = new JobSpec("r", "cpu", null, null, script, workDir.toString(), null, null, Map.of(),
                Resources.of(1, 1, null), 0);
        return new LaunchRequested(NODE, id, Instant.now(), TestSettings.NOBODY, spec,
                List.of(new NodeAllocation(NODE, 1, List.of(0), 100, List.of())), 0, "c");
    }

    static <T> T await(String what, Supplier<Optional<T>> value) {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Optional<T> v = value.get();
            if (v.isPresent()) {
                return v.get();
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    static List<String> processesMentioning(String marker) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .map(p -> {
                        try {
                            return new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                        } catch (IOException e) {
                            return "";
                        }
                    })
                    .filter(c -> c.contains(marker)).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
