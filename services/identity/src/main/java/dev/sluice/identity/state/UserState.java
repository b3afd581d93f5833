package dev.sluice.identity.state;

import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.contracts.identity.UserUpserted;

import java.time.Instant;
import java.util.List;

/** A user as identity publishes it, without the event's time, so two states compare by content. */
public record UserState(String name, int uid, int gid, List<String> groups, String displayName, String email,
                        String loginShell, List<AccountAssociation> accounts) {
    public UserState {
        groups = List.copyOf(groups);
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
    }

    public static UserState of(UserUpserted e) {
        return new UserState(e.user(), e.uid(), e.gid(), e.groups(), e.displayName(), e.email(), e.loginShell(),
                e.accounts());
    }

    public UserUpserted toEvent(Instant time) {
        return new UserUpserted(name, uid, gid, groups, displayName, email, loginShell, accounts, time);
    }
}
