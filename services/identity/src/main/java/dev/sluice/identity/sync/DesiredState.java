package dev.sluice.identity.sync;

import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.identity.ldap.DirectorySnapshot;
import dev.sluice.identity.ldap.DirectorySnapshot.LdapGroup;
import dev.sluice.identity.ldap.DirectorySnapshot.LdapUser;
import dev.sluice.identity.mapping.AccountMapping;
import dev.sluice.identity.state.GroupState;
import dev.sluice.identity.state.IdentityState;
import dev.sluice.identity.state.UserState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What Sluice should know, computed from one directory read and the mapping. Membership follows Unix: a user is
 * in a group when the group lists them ({@code memberUid} or {@code member} DN) or when it is their primary group
 * ({@code gidNumber}). Anything that would make the result wrong (two users with one uidNumber, a group mapped to
 * an undeclared account, an entry without its numbers) is a problem, and a sync with problems applies nothing.
 */
public record DesiredState(IdentityState state, List<String> problems, List<String> warnings) {
    private static final int DEFAULT_SHARES = 1;
    /** The contract's name rule (no white space, no ':'), which user and published group names must follow. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[^\\s:]+");

    public static DesiredState compute(DirectorySnapshot dir, AccountMapping mapping) {
        List<String> problems = new ArrayList<>(mapping.problems());
        List<String> warnings = new ArrayList<>();

        Map<String, LdapUser> users = new TreeMap<>();
        Map<String, String> nameByDn = new HashMap<>();
        Map<Integer, List<LdapUser>> byUid = new TreeMap<>();
        for (LdapUser u : dir.users()) {
            if (u.name() == null || u.name().isBlank()) {
                problems.add("user entry " + u.dn() + " has no user name attribute");
                continue;
            }
            if (!NAME.matcher(u.name()).matches()) {
                problems.add("user name '" + u.name() + "' (" + u.dn() + ") contains white space or ':'");
                continue;
            }
            if (u.uid() == null || u.uid() < 0 || u.gid() == null || u.gid() < 0) {
                problems.add("user " + u.name() + " (" + u.dn() + ") has no valid uidNumber and gidNumber");
                continue;
            }
            LdapUser previous = users.putIfAbsent(u.name(), u);
            if (previous != null) {
                problems.add("user name " + u.name() + " is used by two entries: " + previous.dn() + " and " + u.dn());
                continue;
            }
            nameByDn.put(u.dn(), u.name());
            byUid.computeIfAbsent(u.uid(), k -> new ArrayList<>()).add(u);
        }
        byUid.forEach((uid, holders) -> {
            if (holders.size() > 1) {
                problems.add("uidNumber " + uid + " is held by " + holders.size() + " users: "
                        + String.join(", ", holders.stream().map(h -> h.name() + " (" + h.dn() + ")").toList()));
            }
        });

        Map<Integer, List<String>> namesByGid = new HashMap<>();
        users.values().forEach(u -> namesByGid.computeIfAbsent(u.gid(), k -> new ArrayList<>()).add(u.name()));
        Map<String, Set<String>> members = new TreeMap<>();
        Map<String, Integer> gids = new HashMap<>();
        for (LdapGroup g : dir.groups()) {
            if (g.name() == null || g.name().isBlank()) {
                problems.add("group entry " + g.dn() + " has no group name attribute");
                continue;
            }
            if (members.containsKey(g.name())) {
                problems.add("group name " + g.name() + " is used by two entries");
                continue;
            }
            Set<String> m = new TreeSet<>();
            for (String uid : g.memberUids()) {
                if (users.containsKey(uid)) {
                    m.add(uid);
                }
            }
            for (String dn : g.memberDns()) {
                String n = nameByDn.get(dn);
                if (n != null) {
                    m.add(n);
                }
            }
            if (g.gid() != null && !NAME.matcher(g.name()).matches()) {
                problems.add("group name '" + g.name() + "' (" + g.dn() + ") has a gidNumber but contains white"
                        + " space or ':'");
                continue;
            }
            if (g.gid() != null) {
                m.addAll(namesByGid.getOrDefault(g.gid(), List.of()));
                gids.put(g.name(), g.gid());
            }
            members.put(g.name(), m);
        }
        for (String mapped : mapping.groups().keySet()) {
            if (!members.containsKey(mapped)) {
                warnings.add("mapped group " + mapped + " is not in the directory");
            }
        }
        for (String overridden : mapping.users().keySet()) {
            if (!users.containsKey(overridden)) {
                warnings.add("user override " + overridden + " names a user who is not in the directory");
            }
        }

        Map<String, List<String>> groupsOfUser = new HashMap<>();
        IdentityState state = new IdentityState();
        members.forEach((group, m) -> {
            for (String u : m) {
                groupsOfUser.computeIfAbsent(u, k -> new ArrayList<>()).add(group);
            }
            Integer gid = gids.get(group);
            // groupOfNames/AD groups without gidNumber can still be mapped to accounts, but have no Unix id to publish
            if (gid != null) {
                state.groups().put(group, new GroupState(group, gid, List.copyOf(m)));
            }
        });
        for (LdapUser u : users.values()) {
            List<String> groups = groupsOfUser.getOrDefault(u.name(), List.of());
            List<String> posixGroups = groups.stream().filter(gids::containsKey).toList();
            String email = u.email();
            if (email != null && !email.matches("[^@\\s]+@[^@\\s]+")) {
                warnings.add("user " + u.name() + ": mail '" + email + "' is not an e-mail address, left out");
                email = null;
            }
            String shell = u.loginShell();
            if (shell != null && !shell.startsWith("/")) {
                warnings.add("user " + u.name() + ": loginShell '" + shell + "' is not an absolute path, left out");
                shell = null;
            }
            state.users().put(u.name(), new UserState(u.name(), u.uid(), u.gid(), posixGroups, u.displayName(),
                    email, shell, accounts(u.name(), groups, mapping)));
        }
        return new DesiredState(state, problems, warnings);
    }

    private static List<AccountAssociation> accounts(String user, List<String> groups, AccountMapping mapping) {
        AccountMapping.Grant d = mapping.defaults() == null ? new AccountMapping.Grant(null, null, null, null)
                : mapping.defaults();
        Map<String, AccountAssociation> byAccount = new LinkedHashMap<>();
        for (String g : groups) {
            for (AccountMapping.Grant grant : mapping.groups().getOrDefault(g, List.of())) {
                byAccount.putIfAbsent(grant.account(), new AccountAssociation(grant.account(),
                        first(grant.partition(), d.partition()), first(grant.qos(), d.qos()),
                        first(grant.shares(), d.shares(), DEFAULT_SHARES)));
            }
        }
        for (AccountMapping.Grant o : mapping.users().getOrDefault(user, List.of())) {
            AccountAssociation base = byAccount.get(o.account());
            byAccount.put(o.account(), new AccountAssociation(o.account(),
                    first(o.partition(), base == null ? null : base.partition(), d.partition()),
                    first(o.qos(), base == null ? null : base.qos(), d.qos()),
                    first(o.shares(), base == null ? null : base.shares(), d.shares(), DEFAULT_SHARES)));
        }
        List<String> order = mapping.accounts();
        return byAccount.values().stream()
                .sorted(Comparator.comparingInt((AccountAssociation a) -> order.indexOf(a.account()))
                        .thenComparing(AccountAssociation::account))
                .toList();
    }

    @SafeVarargs
    private static <T> T first(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
