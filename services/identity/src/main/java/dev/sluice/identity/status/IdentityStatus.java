package dev.sluice.identity.status;

import java.time.Instant;

/**
 * What identity knows right now.
 *
 * @param lastSync when the last LDAP sync finished, null if none has run
 * @param ldap     {@code not configured}, or the directory URL users and groups come from
 */
public record IdentityStatus(int users, int groups, Instant lastSync, String ldap) {
}
