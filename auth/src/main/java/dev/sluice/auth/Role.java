package dev.sluice.auth;

import java.util.Collection;
import java.util.Locale;

/** Sluice's realm roles, each including the ones before it (an admin may do what an operator may). */
public enum Role {
    USER, OPERATOR, ADMIN;

    /** The role's name in Keycloak and in tokens. */
    public String claim() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether a caller holding {@code granted} has at least this role. Ranked rather than looked up one by one,
     * so a realm that grants "admin" alone (without Keycloak's composite roles) still works.
     */
    public boolean grantedBy(Collection<String> granted) {
        for (Role r : values()) {
            if (r.ordinal() >= ordinal() && granted.contains(r.claim())) {
                return true;
            }
        }
        return false;
    }
}
