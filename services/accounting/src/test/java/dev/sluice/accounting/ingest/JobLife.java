package dev.sluice.accounting.ingest;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobStateMachine;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.contracts.step.Usage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The events a real job produces across submit, scheduler and node agent, in the order they produce them. */
final class JobLife {
    private JobLife() {
    }

    static JobSubmitted submitted(long id, String user, Instant submit) {
        var spec = new JobSpec("job" + id, "cpu", "research", "normal", "#!/bin/bash\nexit 0\n", "/home/" + user,
                "slurm-%j.out", null, Map.of(), Resources.of(1, 2, 1024L), 60);
        return new JobSubmitted(id, submit, new Owner(user, 1001, 1001), spec);
    }

    static JobStateChanged state(long id, long version, JobState previous, JobState next, Instant time,
                                 Integer exit, String nodes) {
        if (previous != null) {
            JobStateMachine.requireTransition(previous, next);
        }
        return new JobStateChanged(id, version, previous, next, "None", null, time, exit,
                exit == null ? null : 0, nodes);
    }

    /** Submitted, pending, running on node01 with 2 CPUs; the batch step ended; and the job ended (if end given). */
    static List<Event> lifecycle(long id, String user, Instant submit, Instant start, Instant end, JobState finalState,
                                 int exit) {
        List<Event> events = new ArrayList<>();
        events.add(submitted(id, user, submit));
        events.add(state(id, 1, null, JobState.PENDING, submit, null, null));
        if (start == null) {
            return events;
        }
        events.add(state(id, 2, JobState.PENDING, JobState.RUNNING, start, null, "node01"));
        events.add(new AllocationGranted(id, start,
                List.of(new NodeAllocation("node01", 1, List.of(0, 1), 1024, List.of()))));
        events.add(new StepStarted(id, "batch", "node01", start, 4242));
        if (end == null) {
            return events;
        }
        events.add(new StepFinished(id, "batch", "node01", end, finalState, exit, 0, new Usage(1500, 250, 20480),
                null));
        events.add(state(id, 3, JobState.RUNNING, finalState, end, exit, "node01"));
        return events;
    }
}
