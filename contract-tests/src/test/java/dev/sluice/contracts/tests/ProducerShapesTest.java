package dev.sluice.contracts.tests;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.EventCatalog;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.identity.UserUpserted;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.PendingReason;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.node.SignalRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.Usage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Legitimate events beyond the samples, built the way producers build them (optional fields left null, edge
 * values), must validate: a schema stricter than the services' real output would fail every end-to-end run.
 */
class ProducerShapesTest {
    private static final EventValidator VALIDATOR = new EventValidator();
    private static final Instant T = Instant.parse("2026-11-22T01:30:00Z");
    private static final Owner OWNER = new Owner("gildong", 1001, 1001);
    private static final JobSpec WRAP = new JobSpec("wrap", "cpu,gpu", "ai_project", "normal",
            "#!/bin/sh\n# This script was created by sbatch --wrap.\n\nhostname\n", "/home/gildong", "slurm-%j.out",
            null, Map.of(), new Resources(null, null, null, null, null, null, null, List.of(), false), null);

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("first event of a job: no previous, no nodes",
                        new JobStateChanged(7, 1, null, JobState.PENDING, PendingReason.PRIORITY.slurmName(), null, T,
                                null, null, null)),
                Arguments.of("pending again with a reason that has spaces",
                        new JobStateChanged(7, 4, JobState.PENDING, JobState.PENDING,
                                PendingReason.NODE_FAIL.slurmName(), "node gpu-node02 lost", T, null, null, null)),
                Arguments.of("ended by a signal on several nodes",
                        new JobStateChanged(7, 3, JobState.RUNNING, JobState.CANCELLED, "None", null, T, 0, 15,
                                "gpu-node[01-04]")),
                Arguments.of("submitted with --wrap, several partitions, sub-second time, nothing else given",
                        new JobSubmitted(7, T.plusNanos(123_456_000).truncatedTo(ChronoUnit.MICROS), OWNER, WRAP)),
                Arguments.of("array with a dependency, --begin, --hold, node lists, GPUs per task, script args",
                        new JobSubmitted(42, T, OWNER, new JobSpec("sweep", "cpu,gpu", null, null,
                                "#!/bin/bash\necho $1\n", "/home/gildong", "slurm-%A_%a.out", null, Map.of(),
                                new Resources(null, null, 2, null, null, null, null, List.of(), null, 4, 2, "h100",
                                        8192L), 10, "afterok:40:41?afterany:39", T.plusSeconds(3600), true, false,
                                "gpu-node[01-02]", "gpu-node03", "a100&ib", "cyclic:block", "append", "0-15:2%4",
                                List.of("--lr", "0.1")))),
                Arguments.of("GPU job, no time limit, --mem-per-cpu",
                        new LaunchRequested("gpu-node01", 7, T, OWNER,
                                new JobSpec("train", "gpu", null, null, "#!/bin/bash\ntorchrun train.py\n", "/data",
                                        null, null, null, new Resources(1, 2, 16, 8, 4, null, 2048L,
                                        List.of("gpu:h100:8"), true), 0),
                                List.of(new NodeAllocation("gpu-node01", 8, List.of(0, 1, 2, 3), 65536, List.of(0, 1)),
                                        new NodeAllocation("gpu-node02", 8, List.of(0, 1, 2, 3), 65536, List.of(2, 3))),
                                0, "sluice")),
                Arguments.of("node lost under a multi-node job",
                        new SignalRequested("gpu-node03", 7, T, "NODE_FAIL", 30)),
                Arguments.of("launch failed before the script ran",
                        new StepFinished(7, "batch", "node01", T, JobState.FAILED, 1, 0, Usage.NONE,
                                "launch failed: No such file or directory")),
                Arguments.of("srun step killed by SIGKILL after a time limit",
                        new StepFinished(7, "0", "node01", T, JobState.TIMEOUT, 0, 9, new Usage(12, 3, 2048), null)),
                Arguments.of("bare node, nothing running",
                        new NodeRegistered("node01", "b", T, "host", null, 1, 1, 1, 1, List.of(0), 1, List.of(),
                                List.of(), List.of())),
                Arguments.of("LDAP user with only the required attributes",
                        new UserUpserted("gildong", 1001, 1001, List.of(), null, null, null, T)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void validates(String what, Event event) {
        var record = Records.consumed(KafkaCloudEvents.toRecord("/sluice/contract-tests", event));

        assertThat(VALIDATOR.violations(EventCatalog.of(event).type(), KafkaCloudEvents.serialize(event))).isEmpty();
        assertThat(VALIDATOR.violations(record)).isEmpty();
        assertThat(KafkaCloudEvents.fromRecord(record)).hasValueSatisfying(ce -> assertThat(ce.data()).isEqualTo(event));
    }
}
