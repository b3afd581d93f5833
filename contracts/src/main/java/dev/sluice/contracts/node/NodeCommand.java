package dev.sluice.contracts.node;

import dev.sluice.contracts.Event;

/** What the scheduler asks one node agent to do, on {@code sluice.node.commands}, keyed by node name. */
public sealed interface NodeCommand extends Event permits LaunchRequested, SignalRequested {
    String node();

    long jobId();

    @Override
    default String key() {
        return node();
    }
}
