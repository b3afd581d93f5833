package dev.sluice.submit.access;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.contracts.identity.UserRemoved;
import dev.sluice.contracts.identity.UserUpserted;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who may submit under which account, folded from identity's users (uid, gid, mapped accounts) and accounting's
 * user associations ({@code sacctmgr add user ... Account=...}). Plain Java and thread-safe; the consumer feeds
 * it, the submit path reads it.
 *
 * <p>The rule: the check is <em>enforced</em> once the book knows at least one user (from identity) or one user
 * association (from accounting). Before that, as on a fresh local stack, every caller is accepted, so a site that
 * does not manage users yet keeps working. Once enforced, a job's account (requested, or the user's default) must
 * be one the user holds: from identity (any partition: the mapping's partition is a default, not a limit) or
 * from an accounting association (whose partition, when set, must be the job's).
 */
public final class AccessBook {
    /** A user as identity published them. */
    public record User(String name, int uid, int gid, List<AccountAssociation> accounts) {
    }

    /** One accounting association of a user; {@code partition} null = every partition. */
    public record Association(String account, String partition, String defaultAccount) {
    }

    public static final String INVALID_ACCOUNT =
            "Batch job submission failed: Invalid account or account/partition combination specified";

    private final Map<String, User> users = new HashMap<>();
    /** key: AssociationChanged.key, so a later change or removal replaces it. */
    private final Map<String, Association> associations = new HashMap<>();
    private final Map<String, String> associationUser = new HashMap<>();

    public synchronized void apply(Event event) {
        switch (event) {
            case UserUpserted u -> users.put(u.user(), new User(u.user(), u.uid(), u.gid(),
                    u.accounts() == null ? List.of() : List.copyOf(u.accounts())));
            case UserRemoved r -> users.remove(r.user());
            case AssociationChanged a when a.user() != null && !a.user().isBlank() -> {
                String key = a.key();
                if (a.removed()) {
                    associations.remove(key);
                    associationUser.remove(key);
                } else {
                    associations.put(key, new Association(a.account(), blankToNull(a.partition()),
                            blankToNull(a.defaultAccount())));
                    associationUser.put(key, a.user());
                }
            }
            default -> {
                // groups, account-level associations, QoS: not needed to decide who may submit where
            }
        }
    }

    public synchronized boolean enforcing() {
        return !users.isEmpty() || !associations.isEmpty();
    }

    public synchronized Optional<User> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    /**
     * The account the job runs under, or empty when {@code user} may not submit {@code account} (null = the
     * user's default) to {@code partition}. Call only while {@link #enforcing()}.
     */
    public synchronized Optional<String> account(String user, String account, String partition) {
        List<String> held = new ArrayList<>();
        String defaultAccount = null;
        User u = users.get(user);
        if (u != null) {
            for (AccountAssociation a : u.accounts()) {
                held.add(a.account());
            }
        }
        List<Association> own = new ArrayList<>();
        associationUser.forEach((key, name) -> {
            if (name.equals(user)) {
                own.add(associations.get(key));
            }
        });
        for (Association a : own) {
            if (a.defaultAccount() != null && defaultAccount == null) {
                defaultAccount = a.defaultAccount();
            }
        }
        String wanted = account;
        if (wanted == null || wanted.isBlank()) {
            wanted = !held.isEmpty() ? held.getFirst() : defaultAccount != null ? defaultAccount
                    : own.stream().map(Association::account).sorted().findFirst().orElse(null);
        }
        if (wanted == null) {
            return Optional.empty();
        }
        if (held.contains(wanted)) {
            return Optional.of(wanted);
        }
        for (Association a : own) {
            if (a.account().equals(wanted) && (a.partition() == null || partition == null
                    || List.of(partition.split(",")).contains(a.partition()))) {
                return Optional.of(wanted);
            }
        }
        return Optional.empty();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
