package dev.sluice.contracts.identity;

import dev.sluice.contracts.EventType;

import java.time.Instant;

@EventType("sluice.identity.group-removed.v1")
public record GroupRemoved(String group, Instant time) implements IdentityEvent {
    @Override
    public String key() {
        return "group:" + group;
    }
}
