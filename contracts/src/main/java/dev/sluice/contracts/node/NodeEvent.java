package dev.sluice.contracts.node;

import dev.sluice.contracts.Event;

/** What a node agent says about its node, on {@code sluice.node.events}, keyed by node name. */
public sealed interface NodeEvent extends Event permits NodeRegistered, NodeHeartbeat, NodeDrainRequested {
    String node();

    @Override
    default String key() {
        return node();
    }
}
