package dev.sluice.scheduler.core.fairshare;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Slurm's Fair Tree (its default): at every level, siblings are ordered by their Level Fairshare
 * {@code LF = S / U} (shares and usage both as fractions among the siblings; no usage ranks highest), and the tree
 * is walked depth first in that order. Users are ranked in the order they are reached, so every user under an
 * account with a higher LF than its sibling ranks above every user under the sibling; equal LF falls back to
 * shares. The factor is
 * {@code rank / userCount}, from 1.0 for the first user down; ties share a rank.
 */
public final class FairTree {
    private FairTree() {
    }

    /** Level fairshare of a node among its siblings. */
    public static double levelFairshare(ShareTree.Node n) {
        ShareTree.Node parent = n.parent();
        if (parent == null) {
            return Double.POSITIVE_INFINITY;
        }
        double siblingUsage = 0;
        for (ShareTree.Node s : parent.children()) {
            siblingUsage += s.usage();
        }
        double s = n.siblingShareFraction();
        double u = siblingUsage == 0 ? 0 : n.usage() / siblingUsage;
        if (u == 0) {
            return s == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return s / u;
    }

    /** The factor of every user association, keyed by {@code user@account}, in rank order (best first). */
    public static Map<String, Double> factors(ShareTree tree) {
        List<List<ShareTree.Node>> tiers = new ArrayList<>();
        walk(tree.root(), tiers);
        int users = tiers.stream().mapToInt(List::size).sum();
        Map<String, Double> out = new LinkedHashMap<>();
        int remaining = users;
        for (List<ShareTree.Node> tier : tiers) {
            for (ShareTree.Node u : tier) {
                out.put(u.name(), users == 0 ? 0 : (double) remaining / users);
            }
            remaining -= tier.size();
        }
        return out;
    }

    /** Depth first, siblings by descending LF; users with equal LF under the same parent form one tier. */
    private static void walk(ShareTree.Node n, List<List<ShareTree.Node>> tiers) {
        List<ShareTree.Node> kids = new ArrayList<>(n.children());
        // Equal LF (typically: no usage yet) falls back to shares, so 100 shares go before 50.
        kids.sort(Comparator.comparingDouble(FairTree::levelFairshare).reversed()
                .thenComparing(Comparator.comparingDouble(ShareTree.Node::siblingShareFraction).reversed())
                .thenComparing(ShareTree.Node::name));
        List<ShareTree.Node> tier = new ArrayList<>();
        double tierLf = Double.NaN;
        for (ShareTree.Node k : kids) {
            double lf = levelFairshare(k);
            if (!tier.isEmpty() && (!k.isUser() || lf != tierLf || k.rawShares() != tier.getFirst().rawShares())) {
                tiers.add(tier);
                tier = new ArrayList<>();
            }
            if (k.isUser()) {
                tier.add(k);
                tierLf = lf;
            } else {
                walk(k, tiers);
            }
        }
        if (!tier.isEmpty()) {
            tiers.add(tier);
        }
    }
}
