package dev.sluice.scheduler.core.fairshare;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slurm's classic fairshare: {@code F = 2^(-UE/S)} with S the normalized shares and UE the effective usage, which
 * lets an account's usage weigh on its children in proportion to their shares:
 * {@code UE(child) = U(child) + (UE(parent) - U(child)) * S(child among siblings)}. Accounts directly under the
 * root take their own usage as effective usage. Usage is normalized over the whole tree.
 */
public final class ClassicFairshare {
    private ClassicFairshare() {
    }

    public static double effectiveUsage(ShareTree.Node n) {
        ShareTree.Node parent = n.parent();
        if (parent == null) {
            return n.normUsage();
        }
        if (parent.parent() == null) {
            return n.normUsage();
        }
        double u = n.normUsage();
        return u + (effectiveUsage(parent) - u) * n.siblingShareFraction();
    }

    public static double factor(ShareTree.Node n) {
        double s = n.normShares();
        if (s == 0) {
            return 0;
        }
        return Math.pow(2, -effectiveUsage(n) / s);
    }

    /** The factor of every user association, keyed by {@code user@account}. */
    public static Map<String, Double> factors(ShareTree tree) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (ShareTree.Node u : tree.users()) {
            out.put(u.name(), factor(u));
        }
        return out;
    }
}
