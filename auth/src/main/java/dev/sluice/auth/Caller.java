package dev.sluice.auth;

import java.util.Set;

/**
 * Who calls a REST method. With authentication off ({@code authenticated == false}) there is no verified name:
 * the request's own claim (the {@code user} field) is believed, and everyone may do everything, as on the
 * loopback-only local stack.
 */
public record Caller(String name, Set<String> roles, boolean authenticated) {
    public static final Caller OPEN = new Caller(null, Set.of(), false);

    public boolean has(Role role) {
        return !authenticated || role.grantedBy(roles);
    }

    /** Operators and admins see and cancel every job; users only their own. */
    public boolean seesAll() {
        return has(Role.OPERATOR);
    }

    /** Whether this caller may act on something owned by {@code owner}. */
    public boolean mayActOn(String owner) {
        return seesAll() || name.equals(owner);
    }
}
