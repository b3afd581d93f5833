package dev.sluice.identity.ldap;

import java.util.List;
import java.util.Set;

/** Users and groups exactly as one read of the directory found them, before any checking or mapping. */
public record DirectorySnapshot(List<LdapUser> users, List<LdapGroup> groups) {

    /** A user entry; a numeric attribute that is missing or not a number is null. */
    public record LdapUser(String dn, String name, Integer uid, Integer gid, String displayName, String email,
                           String loginShell) {
    }

    /**
     * A group entry: posixGroup members by name ({@code memberUid}), groupOfNames/AD members by DN
     * ({@code member}); a groupOfNames without {@code gidNumber} has a null gid.
     */
    public record LdapGroup(String dn, String name, Integer gid, Set<String> memberUids, Set<String> memberDns) {
    }
}
