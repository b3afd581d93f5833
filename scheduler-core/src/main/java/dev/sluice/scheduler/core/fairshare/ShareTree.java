package dev.sluice.scheduler.core.fairshare;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The association tree fairshare works on: accounts with raw shares, users (leaves) with raw shares and usage
 * (already decayed; accounting publishes it). Built once per usage update; the factors are pure functions of it.
 */
public final class ShareTree {
    /** One account or user. Usage of an account is the sum of its children's. */
    public static final class Node {
        private final String name;
        private final boolean user;
        private final double rawShares;
        private final double ownUsage;
        private final List<Node> children = new ArrayList<>();
        private Node parent;

        private Node(String name, boolean user, double rawShares, double ownUsage) {
            this.name = name;
            this.user = user;
            this.rawShares = rawShares;
            this.ownUsage = ownUsage;
        }

        public String name() {
            return name;
        }

        public boolean isUser() {
            return user;
        }

        public double rawShares() {
            return rawShares;
        }

        public Node parent() {
            return parent;
        }

        public List<Node> children() {
            return Collections.unmodifiableList(children);
        }

        /** Raw usage of this node: its own for a user, the sum of the subtree for an account. */
        public double usage() {
            double u = ownUsage;
            for (Node c : children) {
                u += c.usage();
            }
            return u;
        }

        /** Shares among siblings: this node's raw shares over the sum of its siblings' (itself included). */
        public double siblingShareFraction() {
            if (parent == null) {
                return 1.0;
            }
            double sum = 0;
            for (Node s : parent.children) {
                sum += s.rawShares;
            }
            return sum == 0 ? 0 : rawShares / sum;
        }

        /** Normalized shares: the product of the sibling fractions from the root down to this node. */
        public double normShares() {
            return parent == null ? 1.0 : siblingShareFraction() * parent.normShares();
        }

        /** This node's usage over the whole tree's usage (Slurm's normalized usage). */
        public double normUsage() {
            Node root = this;
            while (root.parent != null) {
                root = root.parent;
            }
            double total = root.usage();
            return total == 0 ? 0 : usage() / total;
        }
    }

    private final Node root = new Node("root", false, 1, 0);
    private final Map<String, Node> byName = new LinkedHashMap<>();

    public ShareTree() {
        byName.put("root", root);
    }

    public ShareTree account(String name, String parent, double shares) {
        add(new Node(name, false, shares, 0), parent);
        return this;
    }

    /** A user association under {@code account}; its name in the tree is {@code user@account}. */
    public ShareTree user(String user, String account, double shares, double usage) {
        add(new Node(user + "@" + account, true, shares, usage), account);
        return this;
    }

    private void add(Node n, String parentName) {
        Node p = Objects.requireNonNull(byName.get(parentName), () -> "unknown parent account " + parentName);
        if (byName.putIfAbsent(n.name, n) != null) {
            throw new IllegalArgumentException("duplicate association " + n.name);
        }
        n.parent = p;
        p.children.add(n);
    }

    public Node root() {
        return root;
    }

    public Node node(String name) {
        return Objects.requireNonNull(byName.get(name), () -> "unknown association " + name);
    }

    public List<Node> users() {
        return byName.values().stream().filter(Node::isUser).toList();
    }
}
