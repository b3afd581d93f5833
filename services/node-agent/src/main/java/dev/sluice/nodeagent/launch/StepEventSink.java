package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;

/**
 * Where the supervisor reports steps. {@link #finished} returns only once the event is durable (Kafka acks=all):
 * the supervisor marks a job reported after it, so a crash in between reports the job again, never not at all.
 */
public interface StepEventSink {
    void started(StepStarted event) throws Exception;

    void finished(StepFinished event) throws Exception;

    /** Several ends at once; returns once all are durable, throws if any is not (then each is retried alone). */
    default void finished(java.util.List<StepFinished> events) throws Exception {
        for (StepFinished e : events) {
            finished(e);
        }
    }
}
