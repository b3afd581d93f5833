package dev.sluice.nodeagent.step;

import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.step.Usage;

/** What a node's share of a step reports while it runs; every call may come from another thread. */
public interface StepListener {

    /** Output of a task (UTF-8 text, any number of lines or part of one). */
    void output(int task, boolean stderr, String data);

    void exit(int task, String node, int exitCode, int signal);

    /** Something that ends the whole step at once (MPI abort, a lost fence); the step is then FAILED with it. */
    void abort(String detail);

    /** The share ended: every task of it exited and it was cleaned up. Always the last call. */
    void ended(PartResult result);

    /** How a node's share ended. */
    record PartResult(String node, JobState state, int exitCode, int signal, Usage usage, String detail) {
    }
}
