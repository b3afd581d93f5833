package dev.sluice.identity.state;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.identity.GroupRemoved;
import dev.sluice.contracts.identity.GroupUpserted;
import dev.sluice.contracts.identity.UserRemoved;
import dev.sluice.contracts.identity.UserUpserted;

import java.util.Map;
import java.util.TreeMap;

/**
 * Users and groups by name: either what identity last published (folded from its own events) or what the
 * directory says they should be. Not thread-safe; the service guards the published copy.
 */
public final class IdentityState {
    private final Map<String, UserState> users = new TreeMap<>();
    private final Map<String, GroupState> groups = new TreeMap<>();

    public Map<String, UserState> users() {
        return users;
    }

    public Map<String, GroupState> groups() {
        return groups;
    }

    /** Folds one published event in; the last event for a name wins, as a compacting reader would see it. */
    public void apply(Event event) {
        switch (event) {
            case UserUpserted u -> users.put(u.user(), UserState.of(u));
            case UserRemoved u -> users.remove(u.user());
            case GroupUpserted g -> groups.put(g.group(), GroupState.of(g));
            case GroupRemoved g -> groups.remove(g.group());
            default -> {
                // other types on the topic are not identity's state
            }
        }
    }

    public IdentityState copy() {
        IdentityState c = new IdentityState();
        c.users.putAll(users);
        c.groups.putAll(groups);
        return c;
    }
}
