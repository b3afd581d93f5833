package dev.sluice.contracts.identity;

import dev.sluice.contracts.Event;

/** Users and groups as identity knows them from LDAP, on {@code sluice.identity.events}. */
public sealed interface IdentityEvent extends Event permits UserUpserted, UserRemoved, GroupUpserted, GroupRemoved {
}
