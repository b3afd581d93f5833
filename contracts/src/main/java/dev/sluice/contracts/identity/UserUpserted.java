package dev.sluice.contracts.identity;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.List;

@EventType("sluice.identity.user-upserted.v1")
public record UserUpserted(String user, int uid, int gid, List<String> groups, String displayName, String email,
                           String loginShell, Instant time) implements IdentityEvent {
    @Override
    public String key() {
        return "user:" + user;
    }
}
