package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.JobCancelRequested;
import dev.sluice.contracts.job.JobHoldRequested;
import dev.sluice.contracts.job.JobReleaseRequested;
import dev.sluice.contracts.job.JobRequeueRequested;
import dev.sluice.contracts.job.JobUpdateRequested;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.NodeDrainRequested;
import dev.sluice.contracts.node.NodeHeartbeat;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.JobRequest;
import dev.sluice.scheduler.core.JobState;

import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/** Events from Kafka in the core's words. Events the scheduler has no use for map to nothing. */
final class Inputs {
    private Inputs() {
    }

    static Optional<Input> of(Event event) {
        return Optional.ofNullable(switch (event) {
            case JobSubmitted s -> new Input.Submit(s.jobId(), s.owner() == null ? null : s.owner().user(),
                    s.spec() == null ? null : s.spec().partition(), request(s), s.submitTime());
            case JobCancelRequested c -> new Input.Cancel(c.jobId());
            case JobHoldRequested h -> new Input.Hold(h.jobId(), h.admin());
            case JobReleaseRequested r -> new Input.Release(r.jobId());
            case JobRequeueRequested q -> new Input.Requeue(q.jobId(), q.hold());
            case JobUpdateRequested u -> new Input.Update(u.jobId(), u.admin(), u.timeLimitMinutes(), u.partition(),
                    u.nice(), u.priority());
            case NodeRegistered r -> new Input.NodeRegistered(r.node(), r.bootId(), cpuIds(r), r.realMemoryMb(),
                    r.runningJobs() == null ? List.of() : r.runningJobs(), r.address());
            case NodeHeartbeat h -> new Input.Heartbeat(h.node());
            case NodeDrainRequested d -> new Input.Drain(d.node(), d.reason());
            // the node could not start it (failing prolog, drained node): back to PENDING, as Slurm requeues
            case StepFinished f when f.requeueRequested() -> new Input.Requeue(f.jobId(), false);
            case StepFinished f -> new Input.StepFinished(f.jobId(), f.stepId(), state(f.state()), f.exitCode(),
                    f.signal(), f.detail(), f.node());
            default -> null;
        });
    }

    /** sbatch's defaults (one task, one CPU per task) are applied by the core, which also knows -N's. */
    static JobRequest request(JobSubmitted s) {
        Integer time = s.spec() == null ? null : s.spec().timeLimitMinutes();
        Resources r = s.spec() == null ? null : s.spec().resources();
        if (r == null) {
            return new JobRequest(null, null, 1, null, 1, null, null, time);
        }
        JobRequest req = new JobRequest(r.nodesMin(), r.nodesMax(), r.ntasks(), r.ntasksPerNode(), r.cpusPerTask(),
                r.memPerNodeMb(), r.memPerCpuMb(), time, r.exclusive())
                .withAccount(s.spec().account(), s.spec().qos());
        for (String g : r.gres() == null ? List.<String>of() : r.gres()) {
            // --gres=gpu[:type]:N, as submit validated it; other GRES are not scheduled yet.
            String[] p = g.split(":");
            if (!p[0].equals("gpu")) {
                continue;
            }
            String last = p[p.length - 1];
            boolean counted = p.length >= 2 && last.chars().allMatch(Character::isDigit);
            int count = counted ? Integer.parseInt(last) : 1;
            String type = p.length >= 3 || (p.length == 2 && !counted) ? p[1] : null;
            req = req.withGpus(count, type);
        }
        JobSpec spec = s.spec();
        String gpuType = r.gpuType() != null ? r.gpuType() : req.gpuType();
        if (r.gpusTotal() != null) {
            req = req.withGpusTotal(r.gpusTotal(), gpuType);
        }
        if (r.gpusPerTask() != null) {
            req = req.withGpusPerTask(r.gpusPerTask(), gpuType);
        }
        // The sbatch options of issue 3, validated by submit; null ones leave the core's defaults.
        return req.withMemPerGpu(r.memPerGpuMb())
                .withName(spec.name())
                .withDependency(spec.dependency())
                .withBeginTime(spec.beginTime())
                .withRequeue(spec.requeue())
                .withNodes(spec.nodeList(), spec.excludeNodes())
                .withConstraint(spec.constraint())
                .withDistribution(spec.distribution())
                .withArray(spec.array());
    }

    private static List<Integer> cpuIds(NodeRegistered r) {
        if (r.cpuIds() != null && !r.cpuIds().isEmpty()) {
            return r.cpuIds();
        }
        return IntStream.range(0, r.cpus()).boxed().toList();
    }

    /** A step's end in job-state words; anything the core cannot end a job with counts as FAILED. */
    private static JobState state(dev.sluice.contracts.job.JobState s) {
        if (s == null) {
            return JobState.FAILED;
        }
        try {
            return JobState.valueOf(s.name());
        } catch (IllegalArgumentException e) {
            return JobState.FAILED;
        }
    }
}
