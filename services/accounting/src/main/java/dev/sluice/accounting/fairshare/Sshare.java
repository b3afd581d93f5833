package dev.sluice.accounting.fairshare;

import dev.sluice.accounting.admin.AdminState;
import dev.sluice.scheduler.core.fairshare.ClassicFairshare;
import dev.sluice.scheduler.core.fairshare.FairTree;
import dev.sluice.scheduler.core.fairshare.ShareTree;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * sshare's lines from the association tree and each user association's raw usage, with the scheduler core's
 * fairshare math so that what sshare shows is what the scheduler ranks by.
 * <ul>
 * <li>Fair Tree (Slurm's default): NormShares is the share among siblings, EffectvUsage the usage among siblings,
 * LevelFS = NormShares / EffectvUsage (inf without usage), FairShare the user's rank factor.</li>
 * <li>Classic ({@code PriorityFlags=NO_FAIR_TREE}): NormShares is the product of the sibling shares from the root,
 * EffectvUsage Slurm's {@code U + (UE(parent) - U) * S(sibling)}, FairShare {@code 2^(-EffectvUsage/NormShares)}.</li>
 * </ul>
 * NormUsage is the usage over the whole tree's in both.
 */
public final class Sshare {
    /** One line; user is "" for an account, rawShares null for root, fairShare and levelFs null where blank. */
    public record Line(String account, String user, int level, Integer rawShares, double normShares, long rawUsage,
                       double normUsage, double effectvUsage, Double fairShare, Double levelFs) {
    }

    private Sshare() {
    }

    /** Key of a user association's usage. */
    public static String key(String account, String user) {
        return account + "\u0000" + user;
    }

    public static ShareTree tree(AdminState state, String cluster, Map<String, Double> usage) {
        Map<String, AdminState.Assoc> accounts = new LinkedHashMap<>();
        List<AdminState.Assoc> users = new ArrayList<>();
        for (AdminState.Assoc a : state.assocs.values()) {
            if (!a.key().cluster().equals(cluster) || !a.key().partition().isEmpty()) {
                continue;
            }
            if (a.key().isUser()) {
                users.add(a);
            } else if (!a.key().account().equals("root")) {
                accounts.put(a.key().account(), a);
            }
        }
        ShareTree tree = new ShareTree();
        Map<String, Boolean> added = new HashMap<>();
        added.put("root", true);
        for (String name : accounts.keySet()) {
            addAccount(tree, name, accounts, added);
        }
        for (AdminState.Assoc u : users) {
            String account = u.key().account();
            if (added.containsKey(account)) {
                tree.user(u.key().user(), account, u.shares(), usage.getOrDefault(key(account, u.key().user()), 0.0));
            }
        }
        return tree;
    }

    private static void addAccount(ShareTree tree, String name, Map<String, AdminState.Assoc> accounts,
                                   Map<String, Boolean> added) {
        if (added.containsKey(name)) {
            return;
        }
        added.put(name, true);
        AdminState.Assoc a = accounts.get(name);
        String parent = a.parent() == null || !accounts.containsKey(a.parent()) ? "root" : a.parent();
        addAccount(tree, parent, accounts, added);
        tree.account(name, parent, a.shares());
    }

    /** Every line, depth first from root; under an account its users come first, then its sub-accounts, by name. */
    public static List<Line> lines(ShareTree tree, boolean fairTree) {
        Map<String, Double> factors = fairTree ? FairTree.factors(tree) : ClassicFairshare.factors(tree);
        List<Line> out = new ArrayList<>();
        walk(tree.root(), 0, fairTree, factors, out);
        return out;
    }

    private static void walk(ShareTree.Node n, int level, boolean fairTree, Map<String, Double> factors,
                             List<Line> out) {
        out.add(line(n, level, fairTree, factors));
        List<ShareTree.Node> kids = new ArrayList<>(n.children());
        kids.sort(Comparator.comparing((ShareTree.Node k) -> !k.isUser()).thenComparing(ShareTree.Node::name));
        for (ShareTree.Node k : kids) {
            walk(k, level + 1, fairTree, factors, out);
        }
    }

    private static Line line(ShareTree.Node n, int level, boolean fairTree, Map<String, Double> factors) {
        String account;
        String user = "";
        if (n.isUser()) {
            int at = n.name().lastIndexOf('@');
            user = n.name().substring(0, at);
            account = n.name().substring(at + 1);
        } else {
            account = n.name();
        }
        long raw = Math.round(n.usage());
        double normUsage = n.normUsage();
        if (n.parent() == null) {
            return new Line("root", "", 0, null, 1.0, raw, raw > 0 ? 1.0 : 0.0, raw > 0 ? 1.0 : 0.0, null, null);
        }
        Double fs = n.isUser() ? factors.get(n.name()) : null;
        if (fairTree) {
            double siblings = 0;
            for (ShareTree.Node s : n.parent().children()) {
                siblings += s.usage();
            }
            double effective = siblings == 0 ? 0 : n.usage() / siblings;
            return new Line(account, user, level, (int) n.rawShares(), n.siblingShareFraction(), raw, normUsage,
                    effective, fs, FairTree.levelFairshare(n));
        }
        return new Line(account, user, level, (int) n.rawShares(), n.normShares(), raw, normUsage,
                ClassicFairshare.effectiveUsage(n), fs, null);
    }
}
