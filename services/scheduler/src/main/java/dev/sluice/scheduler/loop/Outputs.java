package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobStateMachine;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.PendingReason;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.SignalRequested;
import dev.sluice.scheduler.core.Decision;
import dev.sluice.scheduler.core.JobState;
import dev.sluice.scheduler.core.NodeShare;
import dev.sluice.scheduler.core.config.Hostlist;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/** The core's decisions as Kafka records: CloudEvents for everyone else, and the scheduler's own state records. */
final class Outputs {
    static final String SOURCE = "sluice/scheduler";
    /** The reason of the SignalRequested that ends a multi-node job on its other nodes. */
    static final String JOB_END = "JOB_END";

    private Outputs() {
    }

    /**
     * @param submissions the submit event of a live job, for what a launch needs (owner, script, environment)
     */
    static List<ProducerRecord<String, byte[]>> records(List<Decision> decisions, String clusterName,
                                                        LongFunction<JobSubmitted> submissions) {
        return records(decisions, clusterName, submissions, (id, sub) -> { });
    }

    /**
     * As above, and an array task or moved remainder gets the array's submit event under its own job id (in
     * {@code submissions} and in its state record): task 42_0 is job 42 and is forgotten when it ends, while the
     * array's later tasks still need the script.
     */
    static List<ProducerRecord<String, byte[]>> records(List<Decision> decisions, String clusterName,
                                                        Map<Long, JobSubmitted> submissions) {
        return records(decisions, clusterName, submissions::get, submissions::putIfAbsent);
    }

    private static List<ProducerRecord<String, byte[]>> records(List<Decision> decisions, String clusterName,
                                                                LongFunction<JobSubmitted> known,
                                                                java.util.function.BiConsumer<Long, JobSubmitted> keep) {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        Map<Long, Long> versions = new HashMap<>();
        Map<Long, Decision.StateChanged> arrayTasks = new HashMap<>();
        LongFunction<JobSubmitted> submissions = id -> {
            JobSubmitted own = known.apply(id);
            Decision.StateChanged task = arrayTasks.get(id);
            if (own != null || task == null || task.arrayJobId() == null) {
                return own;
            }
            JobSubmitted array = known.apply(task.arrayJobId());
            // Task 42_0 (job 42) may have ended and been forgotten; a remainder that moves is announced in the
            // batch where the task that took its old id starts, and that task's id is known.
            for (var other = arrayTasks.values().iterator(); array == null && other.hasNext(); ) {
                Decision.StateChanged o = other.next();
                if (o.jobId() != id && task.arrayJobId().equals(o.arrayJobId())) {
                    array = known.apply(o.jobId());
                }
            }
            if (array != null) {
                keep.accept(id, array);
            }
            return array;
        };
        for (Decision d : decisions) {
            if (d instanceof Decision.StateChanged s && s.arrayJobId() != null) {
                arrayTasks.put(s.jobId(), s);
            } else if (d instanceof Decision.JobSaved j && j.job().arrayJobId() != null) {
                arrayTasks.putIfAbsent(j.job().id(), new Decision.StateChanged(j.job().id(), j.job().version(),
                        null, j.job().state(), j.job().reason(), null, j.job().submitTime(), null, null, List.of(),
                        j.job().partition(), j.job().arrayJobId(), j.job().arrayTaskId(), j.job().arrayTasks()));
            }
        }
        for (Decision d : decisions) {
            switch (d) {
                case Decision.StateChanged s -> {
                    versions.put(s.jobId(), s.version());
                    out.add(KafkaCloudEvents.toRecord(SOURCE, stateChanged(s), "job-" + s.jobId() + "-v" + s.version()));
                    // the first node ran the batch script and ended with it; the others hold the job's steps and
                    // cgroups until told (docs/steps.md)
                    if (s.previous() == JobState.RUNNING && s.state() != JobState.RUNNING && s.nodes().size() > 1) {
                        for (String node : s.nodes().subList(1, s.nodes().size())) {
                            out.add(KafkaCloudEvents.toRecord(SOURCE, new SignalRequested(node, s.jobId(), s.time(),
                                    JOB_END, 0), "job-" + s.jobId() + "-v" + s.version() + "-end-" + node));
                        }
                    }
                }
                case Decision.AllocationGranted g -> out.add(KafkaCloudEvents.toRecord(SOURCE,
                        new AllocationGranted(g.jobId(), g.time(), allocation(g.shares())),
                        "job-" + g.jobId() + "-v" + versions.get(g.jobId()) + "-allocation"));
                case Decision.Launch l -> {
                    JobSubmitted sub = submissions.apply(l.jobId());
                    if (sub == null) {
                        throw new IllegalStateException("No submission recorded for job " + l.jobId());
                    }
                    // every node of the allocation: the first runs the batch script, the others prepare for steps
                    List<String> nodes = new ArrayList<>(List.of(l.node()));
                    l.allocation().stream().map(NodeShare::node).filter(n -> !nodes.contains(n)).forEach(nodes::add);
                    Decision.StateChanged task = arrayTasks.get(l.jobId());
                    Long arrayJobId = task == null ? null : task.arrayJobId();
                    Integer arrayTaskId = task == null ? null : task.arrayTaskId();
                    for (String node : nodes) {
                        out.add(KafkaCloudEvents.toRecord(SOURCE, new LaunchRequested(node, l.jobId(), l.time(),
                                        sub.owner(), sub.spec(), allocation(l.allocation()), l.timeLimitMinutes(),
                                        clusterName, arrayJobId, arrayTaskId),
                                "job-" + l.jobId() + "-v" + versions.get(l.jobId()) + "-launch"
                                        + (node.equals(l.node()) ? "" : "-" + node)));
                    }
                }
                case Decision.Signal s -> out.add(KafkaCloudEvents.toRecord(SOURCE,
                        new SignalRequested(s.node(), s.jobId(), s.time(), s.reason(), s.killWaitSeconds())));
                case Decision.JobSaved j -> out.add(StateRecords.job(j.job(), submissions.apply(j.job().id())));
                case Decision.JobForgotten f -> out.add(StateRecords.jobTombstone(f.jobId()));
                case Decision.NodeSaved n -> out.add(StateRecords.node(n.node()));
                // decisions that leave no record (a refused update is answered by the loop's log)
                default -> { }
            }
        }
        return out;
    }

    /** Checked against the contracts' state machine: a wrong move is a bug and must not reach Kafka. */
    static JobStateChanged stateChanged(Decision.StateChanged s) {
        dev.sluice.contracts.job.JobState state = contractState(s.state());
        dev.sluice.contracts.job.JobState previous = s.previous() == null ? null : contractState(s.previous());
        if (previous != null && previous != state) {
            JobStateMachine.requireTransition(previous, state);
        }
        String reason = PendingReason.valueOf(s.reason().name()).slurmName();
        String nodes = s.nodes().isEmpty() ? null : Hostlist.compress(s.nodes());
        return new JobStateChanged(s.jobId(), s.version(), previous, state, reason, s.detail(), s.time(),
                s.exitCode(), s.signal(), nodes, s.arrayJobId(), s.arrayTaskId(), s.arrayTasks());
    }

    static dev.sluice.contracts.job.JobState contractState(JobState s) {
        return dev.sluice.contracts.job.JobState.valueOf(s.name());
    }

    private static List<NodeAllocation> allocation(List<NodeShare> shares) {
        return shares.stream().map(s -> new NodeAllocation(s.node(), s.tasks(), s.cpuIds(), s.memMb(), s.gpuIds()))
                .toList();
    }

}
