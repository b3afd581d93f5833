package dev.sluice.accounting.admin;

import dev.sluice.accounting.admin.AdminState.Account;
import dev.sluice.accounting.admin.AdminState.Assoc;
import dev.sluice.accounting.admin.AdminState.AssocKey;
import dev.sluice.accounting.admin.AdminState.Changes;
import dev.sluice.accounting.admin.AdminState.Qos;
import dev.sluice.accounting.admin.AdminState.User;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * sacctmgr's add, modify, delete and show over an {@link AdminState}, with sacctmgr's words in and its messages
 * out. Plain Java: the service persists {@link Outcome#changes()} and publishes them. Adding what exists changes
 * nothing and says so; a refused command changes nothing at all.
 */
public final class Sacctmgr {
    public record Outcome(int rc, String text, List<Map<String, String>> rows, Changes changes) {
        static Outcome error(String message) {
            return new Outcome(1, message.endsWith("\n") ? message : message + "\n", List.of(), Changes.empty());
        }
    }

    /** The words of a command after the action and entity, split at "where" and "set". */
    record Words(List<String> names, Map<String, String> where, Map<String, String> set) {
    }

    private final String defaultCluster;

    public Sacctmgr(String defaultCluster) {
        this.defaultCluster = defaultCluster;
    }

    /** Runs one command on {@code state}, which it changes only when the command succeeds. */
    public Outcome run(AdminState state, List<String> args) {
        if (args.size() < 2) {
            return Outcome.error("sacctmgr: error: No command given");
        }
        String action = args.get(0).toLowerCase(Locale.ROOT);
        String entity = entity(args.get(1));
        if (entity == null) {
            return Outcome.error(" Unknown entity: " + args.get(1));
        }
        Words w;
        try {
            w = words(action, args.subList(2, args.size()));
        } catch (IllegalArgumentException e) {
            return Outcome.error(e.getMessage());
        }
        AdminState work = state.copy();
        Outcome out;
        try {
            out = switch (action) {
                case "add", "create" -> add(work, entity, w);
                case "modify", "update" -> modify(work, entity, w);
                case "delete", "remove" -> delete(work, entity, w);
                case "show", "list" -> new Outcome(0, "", show(work, entity, w), Changes.empty());
                default -> Outcome.error(" Unknown option: " + args.get(0));
            };
        } catch (IllegalArgumentException e) {
            return Outcome.error(e.getMessage());
        }
        if (out.rc() == 0 && !out.changes().isEmpty()) {
            state.clusters.clear();
            state.clusters.addAll(work.clusters);
            replace(state.accounts, work.accounts);
            replace(state.users, work.users);
            replace(state.assocs, work.assocs);
            replace(state.qos, work.qos);
        }
        return out;
    }

    private static <K, V> void replace(Map<K, V> target, Map<K, V> source) {
        target.clear();
        target.putAll(source);
    }

    static String entity(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "account", "accounts", "acct" -> "account";
            case "user", "users" -> "user";
            case "qos" -> "qos";
            case "cluster", "clusters" -> "cluster";
            case "association", "associations", "assoc", "assocs" -> "association";
            default -> null;
        };
    }

    static Words words(String action, List<String> rest) {
        List<String> names = new ArrayList<>();
        Map<String, String> where = new LinkedHashMap<>();
        Map<String, String> set = new LinkedHashMap<>();
        // add: key=value are settings; modify: before "set" conditions, after it settings; delete/show: conditions
        boolean adding = action.equals("add") || action.equals("create");
        Map<String, String> current = adding ? set : where;
        for (String word : rest) {
            String lw = word.toLowerCase(Locale.ROOT);
            if (lw.equals("where")) {
                current = where;
                continue;
            }
            if (lw.equals("set")) {
                current = set;
                continue;
            }
            int eq = word.indexOf('=');
            if (eq < 0) {
                if (current == set && !adding) {
                    throw new IllegalArgumentException(" Unknown option: " + word);
                }
                names.addAll(split(word));
                continue;
            }
            String key = word.substring(0, eq).toLowerCase(Locale.ROOT);
            String value = unquote(word.substring(eq + 1));
            if (key.endsWith("+") || key.endsWith("-")) {
                value = key.charAt(key.length() - 1) + value;
                key = key.substring(0, key.length() - 1);
            }
            if (key.equals("name") || key.equals("names")) {
                names.addAll(split(value));
            } else {
                current.put(key, value);
            }
        }
        return new Words(names, where, set);
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    private static List<String> split(String v) {
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    // ---- add ----------------------------------------------------------------------------------------------

    private Outcome add(AdminState s, String entity, Words w) {
        if (w.names().isEmpty() && !entity.equals("association")) {
            return Outcome.error(" Need name of " + entity + " to add.");
        }
        return switch (entity) {
            case "cluster" -> addClusters(s, w);
            case "account" -> addAccounts(s, w);
            case "user" -> addUsers(s, w);
            case "qos" -> addQos(s, w);
            default -> Outcome.error(" Use add user or add account to add associations.");
        };
    }

    private Outcome addClusters(AdminState s, Words w) {
        Changes c = Changes.empty();
        StringBuilder t = new StringBuilder();
        for (String name : w.names()) {
            if (s.clusters.contains(name)) {
                t.append(" This cluster ").append(name).append(" already exists.  Not adding.\n");
                continue;
            }
            Changes b = s.bootstrap(name);
            merge(c, b);
        }
        if (c.clusters().isEmpty()) {
            return new Outcome(0, t + " Nothing new added.\n", List.of(), c);
        }
        t.append(" Adding Cluster(s)\n");
        c.clusters().forEach(n -> t.append("  Name           = ").append(n).append('\n'));
        return new Outcome(0, t.toString(), List.of(), c);
    }

    private Outcome addAccounts(AdminState s, Words w) {
        Map<String, String> set = new LinkedHashMap<>(w.set());
        String description = set.remove("description");
        String organization = set.remove("organization");
        String parent = orDefault(set.remove("parent"), "root");
        List<String> clusters = clusters(s, set.remove("cluster"), set.remove("clusters"));
        AssocSettings settings = AssocSettings.parse(s, set);
        if (!s.accounts.containsKey(parent)) {
            return Outcome.error(" error: Parent account " + parent + " doesn't exist.");
        }
        Changes c = Changes.empty();
        List<String> newAccounts = new ArrayList<>();
        List<AssocKey> newAssocs = new ArrayList<>();
        StringBuilder t = new StringBuilder();
        for (String name : w.names()) {
            if (!s.accounts.containsKey(name)) {
                s.accounts.put(name, new Account(name, orDefault(description, name), orDefault(organization,
                        parent.equals("root") ? name : s.accounts.get(parent).organization())));
                c.accounts().add(name);
                newAccounts.add(name);
            }
            for (String cluster : clusters) {
                AssocKey k = new AssocKey(cluster, name, "", "");
                if (s.assocs.containsKey(k)) {
                    t.append("  Already existing account ").append(name).append(" on cluster ").append(cluster)
                            .append('\n');
                    continue;
                }
                s.assocs.put(k, settings.applyTo(new Assoc(k, parent, 1, Map.of(), inheritedQos(s, cluster, parent),
                        null)));
                c.assocs().add(k);
                newAssocs.add(k);
            }
        }
        if (c.isEmpty()) {
            return new Outcome(0, t + " Nothing new added.\n", List.of(), c);
        }
        if (!newAccounts.isEmpty()) {
            t.append(" Adding Account(s)\n");
            newAccounts.forEach(n -> t.append("  ").append(n).append('\n'));
            t.append(" Settings\n");
            t.append(String.format("  Description     = %s%n", orDefault(description, "Account Name")));
            t.append(String.format("  Organization    = %s%n", orDefault(organization, "Parent/Account Name")));
        }
        if (!newAssocs.isEmpty()) {
            t.append(" Associations\n");
            newAssocs.forEach(k -> t.append(String.format("  A = %-10s C = %-10s%n", k.account(), k.cluster())));
            t.append(" Settings\n");
            t.append(String.format("  Parent        = %s%n", parent));
            settings.describe(t);
        }
        return new Outcome(0, t.toString(), List.of(), c);
    }

    private Outcome addUsers(AdminState s, Words w) {
        Map<String, String> set = new LinkedHashMap<>(w.set());
        List<String> accounts = split(orDefault(set.remove("account"), orDefault(set.remove("accounts"), "")));
        String defaultAccount = set.remove("defaultaccount");
        String adminLevel = adminLevel(set.remove("adminlevel"));
        List<String> partitions = split(orDefault(set.remove("partition"), orDefault(set.remove("partitions"), "")));
        if (partitions.isEmpty()) {
            partitions = List.of("");
        }
        List<String> clusters = clusters(s, set.remove("cluster"), set.remove("clusters"));
        AssocSettings settings = AssocSettings.parse(s, set);
        if (accounts.isEmpty() && defaultAccount != null) {
            accounts = List.of(defaultAccount);
        }
        for (String a : accounts) {
            if (!s.accounts.containsKey(a)) {
                return Outcome.error(" error: This account '" + a + "' doesn't exist.\n        Contact your admin to add this account.");
            }
        }
        Changes c = Changes.empty();
        List<String> newUsers = new ArrayList<>();
        List<AssocKey> newAssocs = new ArrayList<>();
        StringBuilder t = new StringBuilder();
        for (String name : w.names()) {
            User existing = s.users.get(name);
            if (existing == null) {
                if (accounts.isEmpty()) {
                    return Outcome.error(" Need a default account for these users to add.");
                }
                s.users.put(name, new User(name, orDefault(defaultAccount, accounts.get(0)),
                        orDefault(adminLevel, "None")));
                c.users().add(name);
                newUsers.add(name);
            } else if (accounts.isEmpty()) {
                t.append("  Already existing user ").append(name).append('\n');
            }
            for (String cluster : clusters) {
                for (String account : accounts) {
                    for (String partition : partitions) {
                        AssocKey k = new AssocKey(cluster, account, name, partition);
                        if (s.assocs.containsKey(k)) {
                            continue;
                        }
                        if (!s.assocs.containsKey(new AssocKey(cluster, account, "", ""))) {
                            return Outcome.error(" error: Account '" + account + "' has no association on cluster '"
                                    + cluster + "'.");
                        }
                        s.assocs.put(k, settings.applyTo(new Assoc(k, account, 1, Map.of(),
                                inheritedQos(s, cluster, account), null)));
                        c.assocs().add(k);
                        newAssocs.add(k);
                    }
                }
            }
        }
        if (c.isEmpty()) {
            return new Outcome(0, t + " Nothing new added.\n", List.of(), c);
        }
        if (!newUsers.isEmpty()) {
            t.append(" Adding User(s)\n");
            newUsers.forEach(n -> t.append("  ").append(n).append('\n'));
            t.append(" Settings =\n");
            t.append(String.format("  Default Account = %s%n", s.users.get(newUsers.get(0)).defaultAccount()));
            if (adminLevel != null) {
                t.append(String.format("  Admin Level     = %s%n", adminLevel));
            }
        }
        if (!newAssocs.isEmpty()) {
            t.append(" Associations =\n");
            for (AssocKey k : newAssocs) {
                t.append(String.format("  U = %-9s A = %-10s C = %-10s", k.user(), k.account(), k.cluster()));
                t.append(k.partition().isEmpty() ? "\n" : String.format(" P = %s%n", k.partition()));
            }
            if (!settings.isEmpty()) {
                t.append(" Non Default Settings\n");
                settings.describe(t);
            }
        }
        return new Outcome(0, t.toString(), List.of(), c);
    }

    private Outcome addQos(AdminState s, Words w) {
        Map<String, String> set = new LinkedHashMap<>(w.set());
        QosSettings settings = QosSettings.parse(set);
        Changes c = Changes.empty();
        List<String> added = new ArrayList<>();
        StringBuilder t = new StringBuilder();
        for (String name : w.names()) {
            if (s.qos.containsKey(name)) {
                t.append("  Already existing QOS ").append(name).append('\n');
                continue;
            }
            s.qos.put(name, settings.applyTo(new Qos(name, name, 0, Map.of())));
            c.qos().add(name);
            added.add(name);
        }
        if (added.isEmpty()) {
            return new Outcome(0, t + " Nothing new added.\n", List.of(), c);
        }
        t.append(" Adding QOS(s)\n");
        added.forEach(n -> t.append("  ").append(n).append('\n'));
        t.append(" Settings\n");
        t.append(String.format("  Description    = %s%n", settings.description == null ? "QOS Name"
                : settings.description));
        settings.describe(t);
        return new Outcome(0, t.toString(), List.of(), c);
    }

    // ---- modify -------------------------------------------------------------------------------------------

    private Outcome modify(AdminState s, String entity, Words w) {
        if (w.set().isEmpty()) {
            return Outcome.error(" You didn't give me anything to set");
        }
        return switch (entity) {
            case "account" -> modifyAccounts(s, w);
            case "user" -> modifyUsers(s, w);
            case "qos" -> modifyQos(s, w);
            case "association" -> modifyAssocs(s, w, "association");
            default -> Outcome.error(" Unknown entity: " + entity);
        };
    }

    private Outcome modifyAccounts(AdminState s, Words w) {
        Map<String, String> set = new LinkedHashMap<>(w.set());
        String description = set.remove("description");
        String organization = set.remove("organization");
        Changes c = Changes.empty();
        StringBuilder t = new StringBuilder();
        List<String> names = w.names().isEmpty() ? split(orDefault(w.where().get("account"), "")) : w.names();
        if (description != null || organization != null) {
            List<String> changed = new ArrayList<>();
            for (String n : names) {
                Account a = s.accounts.get(n);
                if (a == null) {
                    continue;
                }
                Account b = new Account(n, orDefault(description, a.description()),
                        orDefault(organization, a.organization()));
                if (!b.equals(a)) {
                    s.accounts.put(n, b);
                    c.accounts().add(n);
                    changed.add(n);
                }
            }
            if (!changed.isEmpty()) {
                t.append(" Modified accounts...\n");
                changed.forEach(n -> t.append("  ").append(n).append('\n'));
            }
        }
        if (!set.isEmpty()) {
            Map<String, String> where = new LinkedHashMap<>(w.where());
            where.remove("account");
            where.putIfAbsent("user", "");
            Outcome o = modifyAssocs(s, new Words(List.of(), withAccounts(where, names), set), "account");
            if (o.rc() != 0) {
                return o;
            }
            merge(c, o.changes());
            t.append(o.text().equals(" Nothing modified\n") ? "" : o.text());
        }
        return new Outcome(0, c.isEmpty() ? " Nothing modified\n" : t.toString(), List.of(), c);
    }

    private static Map<String, String> withAccounts(Map<String, String> where, List<String> names) {
        Map<String, String> m = new LinkedHashMap<>(where);
        m.put("account", String.join(",", names));
        return m;
    }

    private Outcome modifyUsers(AdminState s, Words w) {
        Map<String, String> set = new LinkedHashMap<>(w.set());
        String defaultAccount = set.remove("defaultaccount");
        String adminLevel = adminLevel(set.remove("adminlevel"));
        List<String> names = w.names().isEmpty() ? split(orDefault(w.where().get("user"), "")) : w.names();
        Changes c = Changes.empty();
        StringBuilder t = new StringBuilder();
        if (defaultAccount != null || adminLevel != null) {
            List<String> changed = new ArrayList<>();
            for (String n : names) {
                User u = s.users.get(n);
                if (u == null) {
                    continue;
                }
                if (defaultAccount != null && s.userAssocs(n).stream()
                        .noneMatch(a -> a.key().account().equals(defaultAccount))) {
                    return Outcome.error(" error: User " + n + " has no association with account " + defaultAccount);
                }
                User v = new User(n, orDefault(defaultAccount, u.defaultAccount()), orDefault(adminLevel, u.adminLevel()));
                if (!v.equals(u)) {
                    s.users.put(n, v);
                    c.users().add(n);
                    changed.add(n);
                    if (defaultAccount != null) {
                        s.userAssocs(n).forEach(a -> c.assocs().add(a.key()));
                    }
                }
            }
            if (!changed.isEmpty()) {
                t.append(" Modified users...\n");
                changed.forEach(n -> t.append("  ").append(n).append('\n'));
            }
        }
        if (!set.isEmpty()) {
            Map<String, String> where = new LinkedHashMap<>(w.where());
            where.put("user", String.join(",", names));
            Outcome o = modifyAssocs(s, new Words(List.of(), where, set), "user");
            if (o.rc() != 0) {
                return o;
            }
            merge(c, o.changes());
            t.append(o.text().equals(" Nothing modified\n") ? "" : o.text());
        }
        return new Outcome(0, c.isEmpty() ? " Nothing modified\n" : t.toString(), List.of(), c);
    }

    private Outcome modifyAssocs(AdminState s, Words w, String what) {
        AssocSettings settings = AssocSettings.parse(s, new LinkedHashMap<>(w.set()));
        if (settings.isEmpty()) {
            return Outcome.error(" You didn't give me anything to set");
        }
        List<Assoc> matched = match(s, w);
        Changes c = Changes.empty();
        List<AssocKey> changed = new ArrayList<>();
        for (Assoc a : matched) {
            Assoc b = settings.applyTo(a);
            if (!b.equals(a)) {
                s.assocs.put(a.key(), b);
                c.assocs().add(a.key());
                changed.add(a.key());
            }
        }
        if (changed.isEmpty()) {
            return new Outcome(0, " Nothing modified\n", List.of(), c);
        }
        StringBuilder t = new StringBuilder(" Modified " + what + " associations...\n");
        for (AssocKey k : changed) {
            t.append(String.format("  C = %-10s A = %-20s", k.cluster(), k.account()));
            if (k.isUser()) {
                t.append(String.format(" U = %-9s", k.user()));
            }
            if (!k.partition().isEmpty()) {
                t.append(String.format(" P = %s", k.partition()));
            }
            t.append('\n');
        }
        return new Outcome(0, t.toString(), List.of(), c);
    }

    private Outcome modifyQos(AdminState s, Words w) {
        QosSettings settings = QosSettings.parse(new LinkedHashMap<>(w.set()));
        List<String> names = w.names().isEmpty() ? split(orDefault(w.where().get("qos"), "")) : w.names();
        Changes c = Changes.empty();
        for (String n : names) {
            Qos q = s.qos.get(n);
            if (q == null) {
                continue;
            }
            Qos r = settings.applyTo(q);
            if (!r.equals(q)) {
                s.qos.put(n, r);
                c.qos().add(n);
            }
        }
        if (c.isEmpty()) {
            return new Outcome(0, " Nothing modified\n", List.of(), c);
        }
        StringBuilder t = new StringBuilder(" Modified qos...\n");
        c.qos().forEach(n -> t.append("  ").append(n).append('\n'));
        return new Outcome(0, t.toString(), List.of(), c);
    }

    // ---- delete -------------------------------------------------------------------------------------------

    private Outcome delete(AdminState s, String entity, Words w) {
        Changes c = Changes.empty();
        StringBuilder t = new StringBuilder();
        switch (entity) {
            case "account" -> {
                List<String> names = w.names().isEmpty() ? split(orDefault(w.where().get("account"), "")) : w.names();
                for (String n : names) {
                    if (n.equals("root") || !s.accounts.containsKey(n)) {
                        continue;
                    }
                    for (Assoc a : List.copyOf(s.assocs.values())) {
                        if (a.key().account().equals(n) || n.equals(a.parent()) && !a.key().isUser()) {
                            if (!a.key().account().equals(n)) {
                                return Outcome.error(" error: Account " + n + " has child accounts; delete them first.");
                            }
                            s.assocs.remove(a.key());
                            c.assocs().add(a.key());
                        }
                    }
                    s.accounts.remove(n);
                    c.accounts().add(n);
                }
                t.append(" Deleting accounts...\n");
                c.accounts().forEach(n -> t.append("  ").append(n).append('\n'));
            }
            case "user" -> {
                Map<String, String> where = new LinkedHashMap<>(w.where());
                List<String> names = w.names().isEmpty() ? split(orDefault(where.remove("user"), "")) : w.names();
                where.put("user", String.join(",", names));
                boolean narrowed = where.containsKey("account") || where.containsKey("partition");
                for (Assoc a : match(s, new Words(List.of(), where, Map.of()))) {
                    s.assocs.remove(a.key());
                    c.assocs().add(a.key());
                }
                for (String n : names) {
                    if (s.users.containsKey(n) && (!narrowed || s.userAssocs(n).isEmpty())) {
                        s.users.remove(n);
                        c.users().add(n);
                    }
                }
                if (narrowed && c.users().isEmpty()) {
                    t.append(" Deleting user associations...\n");
                    c.assocs().forEach(k -> t.append(String.format("  C = %-10s A = %-10s U = %-9s%n",
                            k.cluster(), k.account(), k.user())));
                } else {
                    t.append(" Deleting users...\n");
                    c.users().forEach(n -> t.append("  ").append(n).append('\n'));
                }
            }
            case "qos" -> {
                List<String> names = w.names().isEmpty() ? split(orDefault(w.where().get("qos"), "")) : w.names();
                for (String n : names) {
                    if (s.qos.remove(n) != null) {
                        c.qos().add(n);
                    }
                }
                t.append(" Deleting QOS(s)...\n");
                c.qos().forEach(n -> t.append("  ").append(n).append('\n'));
            }
            case "cluster" -> {
                for (String n : w.names()) {
                    if (s.clusters.remove(n)) {
                        c.clusters().add(n);
                        for (Assoc a : List.copyOf(s.assocs.values())) {
                            if (a.key().cluster().equals(n)) {
                                s.assocs.remove(a.key());
                                c.assocs().add(a.key());
                            }
                        }
                    }
                }
                t.append(" Deleting clusters...\n");
                c.clusters().forEach(n -> t.append("  ").append(n).append('\n'));
            }
            default -> {
                return Outcome.error(" Use delete user or delete account to remove associations.");
            }
        }
        if (c.isEmpty()) {
            return new Outcome(0, " Nothing deleted\n", List.of(), c);
        }
        return new Outcome(0, t.toString(), List.of(), c);
    }

    // ---- show ---------------------------------------------------------------------------------------------

    private List<Map<String, String>> show(AdminState s, String entity, Words w) {
        List<Map<String, String>> rows = new ArrayList<>();
        Map<String, String> where = new LinkedHashMap<>(w.where());
        where.remove("format");
        where.remove("withassoc");
        switch (entity) {
            case "cluster" -> s.clusters.stream().filter(n -> w.names().isEmpty() || w.names().contains(n))
                    .sorted().forEach(n -> rows.add(row("Cluster", n)));
            case "account" -> s.accounts.values().stream()
                    .filter(a -> w.names().isEmpty() || w.names().contains(a.name()))
                    .forEach(a -> rows.add(row("Account", a.name(), "Descr", a.description(),
                            "Org", a.organization())));
            case "user" -> s.users.values().stream()
                    .filter(u -> w.names().isEmpty() || w.names().contains(u.name()))
                    .forEach(u -> rows.add(row("User", u.name(), "Def Acct", u.defaultAccount(),
                            "Admin", u.adminLevel())));
            case "qos" -> s.qos.values().stream()
                    .filter(q -> w.names().isEmpty() || w.names().contains(q.name()))
                    .forEach(q -> {
                        Map<String, String> r = row("Name", q.name(), "Descr", q.description(),
                                "Priority", Integer.toString(q.priority()));
                        r.putAll(q.limits());
                        rows.add(r);
                    });
            default -> {
                for (Assoc a : match(s, new Words(w.names(), where, Map.of()))) {
                    rows.add(assocRow(s, a));
                }
            }
        }
        return rows;
    }

    static Map<String, String> assocRow(AdminState s, Assoc a) {
        Map<String, String> r = row("Cluster", a.key().cluster(), "Account", a.key().account(),
                "User", a.key().user(), "Partition", a.key().partition(),
                "ParentName", a.key().isUser() ? "" : orDefault(a.parent(), ""),
                "Share", Integer.toString(a.shares()), "QOS", String.join(",", a.qos()),
                "DefaultQOS", orDefault(a.defaultQos(), ""));
        r.putAll(a.limits());
        return r;
    }

    private static Map<String, String> row(String... kv) {
        Map<String, String> r = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            r.put(kv[i], kv[i + 1] == null ? "" : kv[i + 1]);
        }
        return r;
    }

    /** Associations matching the conditions: names/user/account/partition/cluster/parent, comma lists. */
    private static List<Assoc> match(AdminState s, Words w) {
        Map<String, Set<String>> cond = new TreeMap<>();
        w.where().forEach((k, v) -> {
            String key = switch (k) {
                case "users" -> "user";
                case "accounts", "acct" -> "account";
                case "partitions" -> "partition";
                case "clusters" -> "cluster";
                default -> k;
            };
            cond.put(key, new LinkedHashSet<>(Arrays.asList(v.split(",", -1))));
        });
        for (String k : cond.keySet()) {
            if (!Set.of("user", "account", "partition", "cluster", "parent").contains(k)) {
                throw new IllegalArgumentException(" Unknown condition: " + k);
            }
        }
        List<Assoc> out = new ArrayList<>();
        for (Assoc a : s.assocs.values()) {
            AssocKey k = a.key();
            if (!w.names().isEmpty() && !w.names().contains(k.user()) && !w.names().contains(k.account())) {
                continue;
            }
            if (in(cond, "user", k.user()) && in(cond, "account", k.account()) && in(cond, "partition", k.partition())
                    && in(cond, "cluster", k.cluster()) && in(cond, "parent", orDefault(a.parent(), ""))) {
                out.add(a);
            }
        }
        return out;
    }

    private static boolean in(Map<String, Set<String>> cond, String key, String value) {
        Set<String> allowed = cond.get(key);
        return allowed == null || allowed.contains(value);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private List<String> clusters(AdminState s, String cluster, String clusters) {
        String v = cluster != null ? cluster : clusters;
        if (v == null) {
            return List.of(defaultCluster);
        }
        List<String> out = split(v);
        for (String c : out) {
            if (!s.clusters.contains(c)) {
                throw new IllegalArgumentException(" This cluster " + c + " doesn't exist.\n"
                        + "        Contact your admin to add it to accounting.");
            }
        }
        return out;
    }

    private static List<String> inheritedQos(AdminState s, String cluster, String account) {
        Assoc parent = s.assocs.get(new AssocKey(cluster, account, "", ""));
        return parent == null ? List.of("normal") : parent.qos();
    }

    private static String adminLevel(String v) {
        if (v == null) {
            return null;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "none" -> "None";
            case "operator" -> "Operator";
            case "admin", "administrator" -> "Administrator";
            default -> throw new IllegalArgumentException(" Unknown AdminLevel: " + v);
        };
    }

    static String orDefault(String v, String d) {
        return v == null ? d : v;
    }

    private static void merge(Changes into, Changes from) {
        into.clusters().addAll(from.clusters());
        into.accounts().addAll(from.accounts());
        into.users().addAll(from.users());
        into.assocs().addAll(from.assocs());
        into.qos().addAll(from.qos());
    }

    /** Association settings of a command: shares, limits, QOS list (=, +=, -=), DefaultQOS. */
    static final class AssocSettings {
        Integer shares;
        final Map<Limits.Def, String> limits = new LinkedHashMap<>();
        String qos;
        String defaultQos;

        static AssocSettings parse(AdminState s, Map<String, String> set) {
            AssocSettings a = new AssocSettings();
            for (Map.Entry<String, String> e : set.entrySet()) {
                String k = e.getKey();
                String v = e.getValue();
                switch (k) {
                    case "fairshare", "share", "shares" -> {
                        long n = Limits.count("Fairshare", v.equalsIgnoreCase("parent") ? "-1" : v);
                        a.shares = n < 0 ? 1 : (int) n;
                    }
                    case "qos", "qoslevel" -> {
                        String list = v.startsWith("+") || v.startsWith("-") ? v.substring(1) : v;
                        for (String q : split(list)) {
                            if (!s.qos.containsKey(q)) {
                                throw new IllegalArgumentException(" Invalid qos name: " + q);
                            }
                        }
                        a.qos = v;
                    }
                    case "defaultqos", "defqos" -> {
                        if (!v.equals("-1") && !s.qos.containsKey(v)) {
                            throw new IllegalArgumentException(" Invalid qos name: " + v);
                        }
                        a.defaultQos = v;
                    }
                    default -> {
                        Limits.Def d = Limits.ASSOC.get(k);
                        if (d == null) {
                            throw new IllegalArgumentException(" Unknown option: " + k + "=" + v);
                        }
                        Limits.apply(new TreeMap<>(), d, v); // validates now, before anything changes
                        a.limits.put(d, v);
                    }
                }
            }
            return a;
        }

        boolean isEmpty() {
            return shares == null && limits.isEmpty() && qos == null && defaultQos == null;
        }

        Assoc applyTo(Assoc a) {
            Map<String, String> l = new TreeMap<>(a.limits());
            limits.forEach((d, v) -> Limits.apply(l, d, v));
            List<String> q = a.qos();
            if (qos != null) {
                LinkedHashSet<String> set = new LinkedHashSet<>(q);
                if (qos.startsWith("+")) {
                    set.addAll(split(qos.substring(1)));
                } else if (qos.startsWith("-")) {
                    split(qos.substring(1)).forEach(set::remove);
                } else {
                    set = new LinkedHashSet<>(split(qos));
                }
                q = List.copyOf(set);
            }
            String dq = defaultQos == null ? a.defaultQos() : defaultQos.equals("-1") ? null : defaultQos;
            return new Assoc(a.key(), a.parent(), shares == null ? a.shares() : shares, l, q, dq);
        }

        void describe(StringBuilder t) {
            if (shares != null) {
                t.append(String.format("  Fairshare     = %d%n", shares));
            }
            Map<String, String> l = new TreeMap<>();
            limits.forEach((d, v) -> Limits.apply(l, d, v));
            l.forEach((k, v) -> t.append(String.format("  %-13s = %s%n", k, v)));
            if (qos != null) {
                t.append(String.format("  QOS           = %s%n", qos));
            }
            if (defaultQos != null) {
                t.append(String.format("  DefaultQOS    = %s%n", defaultQos));
            }
        }
    }

    /** QoS settings of a command: Description, Priority and QoS limits. */
    static final class QosSettings {
        String description;
        Integer priority;
        final Map<Limits.Def, String> limits = new LinkedHashMap<>();

        static QosSettings parse(Map<String, String> set) {
            QosSettings q = new QosSettings();
            for (Map.Entry<String, String> e : set.entrySet()) {
                switch (e.getKey()) {
                    case "description" -> q.description = e.getValue();
                    case "priority" -> q.priority = (int) Math.max(0, Limits.count("Priority", e.getValue()));
                    default -> {
                        Limits.Def d = Limits.QOS.get(e.getKey());
                        if (d == null) {
                            throw new IllegalArgumentException(" Unknown option: " + e.getKey() + "=" + e.getValue());
                        }
                        Limits.apply(new TreeMap<>(), d, e.getValue());
                        q.limits.put(d, e.getValue());
                    }
                }
            }
            return q;
        }

        Qos applyTo(Qos q) {
            Map<String, String> l = new TreeMap<>(q.limits());
            limits.forEach((d, v) -> Limits.apply(l, d, v));
            return new Qos(q.name(), orDefault(description, q.description()),
                    priority == null ? q.priority() : priority, l);
        }

        void describe(StringBuilder t) {
            if (priority != null) {
                t.append(String.format("  Priority       = %d%n", priority));
            }
            Map<String, String> l = new TreeMap<>();
            limits.forEach((d, v) -> Limits.apply(l, d, v));
            l.forEach((k, v) -> t.append(String.format("  %-14s = %s%n", k, v)));
        }
    }
}
