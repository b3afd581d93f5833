package dev.sluice.contracts.identity;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.List;

@EventType("sluice.identity.group-upserted.v1")
public record GroupUpserted(String group, int gid, List<String> members, Instant time) implements IdentityEvent {
    @Override
    public String key() {
        return "group:" + group;
    }
}
