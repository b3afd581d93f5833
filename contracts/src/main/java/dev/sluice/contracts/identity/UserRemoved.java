package dev.sluice.contracts.identity;

import dev.sluice.contracts.EventType;

import java.time.Instant;

@EventType("sluice.identity.user-removed.v1")
public record UserRemoved(String user, Instant time) implements IdentityEvent {
    @Override
    public String key() {
        return "user:" + user;
    }
}
