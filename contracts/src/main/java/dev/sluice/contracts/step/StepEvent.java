package dev.sluice.contracts.step;

import dev.sluice.contracts.Event;

/**
 * Steps of a job starting and ending on a node, on {@code sluice.step.events}, keyed by job id. The batch script
 * itself is the step named {@code batch}.
 */
public sealed interface StepEvent extends Event permits StepStarted, StepFinished {
    long jobId();

    String stepId();

    String node();

    @Override
    default String key() {
        return Long.toString(jobId());
    }
}
