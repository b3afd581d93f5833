package dev.sluice.identity.state;

import dev.sluice.contracts.identity.GroupUpserted;

import java.time.Instant;
import java.util.List;

/** A group as identity publishes it, without the event's time. */
public record GroupState(String name, int gid, List<String> members) {
    public GroupState {
        members = List.copyOf(members);
    }

    public static GroupState of(GroupUpserted e) {
        return new GroupState(e.group(), e.gid(), e.members());
    }

    public GroupUpserted toEvent(Instant time) {
        return new GroupUpserted(name, gid, members, time);
    }
}
