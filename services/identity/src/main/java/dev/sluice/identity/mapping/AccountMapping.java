package dev.sluice.identity.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which LDAP groups give their members which Sluice accounts, and per-user overrides.
 *
 * <pre>
 * accounts: [ai_project, physics]          # declared accounts; their order picks a user's default account
 * defaults: {partition: cpu, qos: normal, shares: 1}
 * groups:
 *   ai_team: {account: ai_project, partition: gpu, shares: 100}
 *   physics_lab: [{account: physics}, {account: ai_project, shares: 10}]
 * users:
 *   gildong: {account: ai_project, shares: 200}   # changes gildong's association in ai_project, or adds it
 * </pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AccountMapping(List<String> accounts, Grant defaults, Map<String, List<Grant>> groups,
                             Map<String, List<Grant>> users) {
    private static final Pattern NAME = Pattern.compile("[^\\s:]+");

    /** One association a group (or a user override) gives; null fields fall back to {@link #defaults}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Grant(String account, String partition, String qos, Integer shares) {
    }

    public AccountMapping {
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
        groups = groups == null ? Map.of() : copy(groups);
        users = users == null ? Map.of() : copy(users);
    }

    public static AccountMapping empty() {
        return new AccountMapping(List.of(), null, Map.of(), Map.of());
    }

    /** What is wrong with this mapping, in words an administrator can act on; empty when it is usable. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        for (String a : accounts) {
            if (a == null || !NAME.matcher(a).matches()) {
                out.add("account name '" + a + "' is not a valid name (no spaces or ':')");
            }
        }
        if (defaults != null) {
            if (defaults.account() != null) {
                out.add("defaults may not name an account");
            }
            checkFields("defaults", defaults, out);
        }
        groups.forEach((g, grants) -> check("group " + g, grants, out));
        users.forEach((u, grants) -> check("user override " + u, grants, out));
        return out;
    }

    private void check(String who, List<Grant> grants, List<String> out) {
        for (Grant g : grants) {
            if (g == null || g.account() == null) {
                out.add(who + " has an entry without an account");
                continue;
            }
            if (!accounts.contains(g.account())) {
                out.add(who + " is mapped to account " + g.account()
                        + ", which the mapping does not declare (accounts: "
                        + (accounts.isEmpty() ? "none" : String.join(", ", accounts)) + ")");
            }
            checkFields(who, g, out);
        }
    }

    private static void checkFields(String who, Grant g, List<String> out) {
        if (g.shares() != null && g.shares() < 0) {
            out.add(who + ": shares must be 0 or more, not " + g.shares());
        }
        if (g.partition() != null && !NAME.matcher(g.partition()).matches()) {
            out.add(who + ": partition '" + g.partition() + "' is not a valid name");
        }
        if (g.qos() != null && !NAME.matcher(g.qos()).matches()) {
            out.add(who + ": qos '" + g.qos() + "' is not a valid name");
        }
    }

    private static Map<String, List<Grant>> copy(Map<String, List<Grant>> m) {
        Map<String, List<Grant>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v == null ? List.of() : new ArrayList<>(v)));
        return out;
    }
}
