package dev.sluice.contracts.identity;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.List;

/**
 * A user as LDAP has it, new or changed.
 *
 * @param accounts the accounts the user may submit under, from identity's group-to-account mapping; the first is
 *                 the user's default account. Empty when no mapped group holds the user; absent only in events
 *                 written before the field existed (consumers treat absent as empty).
 */
@EventType("sluice.identity.user-upserted.v1")
public record UserUpserted(String user, int uid, int gid, List<String> groups, String displayName, String email,
                           String loginShell, List<AccountAssociation> accounts, Instant time)
        implements IdentityEvent {

    /** A user without account information, the shape of the first version of this event. */
    public UserUpserted(String user, int uid, int gid, List<String> groups, String displayName, String email,
                        String loginShell, Instant time) {
        this(user, uid, gid, groups, displayName, email, loginShell, null, time);
    }

    @Override
    public String key() {
        return "user:" + user;
    }
}
