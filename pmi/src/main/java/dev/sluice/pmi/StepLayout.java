package dev.sluice.pmi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where the ranks of one MPI step live: which global ranks run on which node of the step.
 *
 * @param kvsName the key-value space name every rank sees (Slurm uses {@code <jobid>.<stepid>})
 * @param ranksByNode for each node of the step, in node order, the global ranks it runs (ascending)
 */
public record StepLayout(String kvsName, List<List<Integer>> ranksByNode) {

    public StepLayout {
        Objects.requireNonNull(kvsName, "kvsName");
        if (kvsName.isBlank() || kvsName.chars().anyMatch(c -> c <= ' ' || c == ';' || c == '=')) {
            throw new IllegalArgumentException("kvsName must be a non-empty token without spaces, ';' or '=': " + kvsName);
        }
        if (ranksByNode.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one node");
        }
        ranksByNode = ranksByNode.stream().map(List::copyOf).toList();
        int size = ranksByNode.stream().mapToInt(List::size).sum();
        boolean[] seen = new boolean[size];
        for (int node = 0; node < ranksByNode.size(); node++) {
            List<Integer> ranks = ranksByNode.get(node);
            if (ranks.isEmpty()) {
                throw new IllegalArgumentException("node " + node + " runs no rank");
            }
            for (int rank : ranks) {
                if (rank < 0 || rank >= size || seen[rank]) {
                    throw new IllegalArgumentException("ranks must be 0.." + (size - 1) + " each exactly once, got " + ranksByNode);
                }
                seen[rank] = true;
            }
        }
    }

    /** Block distribution (Slurm's default): node 0 gets ranks 0..n0-1, node 1 the next n1, and so on. */
    public static StepLayout block(String kvsName, int... tasksPerNode) {
        List<List<Integer>> nodes = new ArrayList<>();
        int next = 0;
        for (int count : tasksPerNode) {
            List<Integer> ranks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ranks.add(next++);
            }
            nodes.add(ranks);
        }
        return new StepLayout(kvsName, nodes);
    }

    /** Cyclic distribution: rank r runs on node r mod nodes. */
    public static StepLayout cyclic(String kvsName, int nodes, int size) {
        List<List<Integer>> byNode = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            byNode.add(new ArrayList<>());
        }
        for (int r = 0; r < size; r++) {
            byNode.get(r % nodes).add(r);
        }
        return new StepLayout(kvsName, byNode);
    }

    public int size() {
        return ranksByNode.stream().mapToInt(List::size).sum();
    }

    public int nodeCount() {
        return ranksByNode.size();
    }

    public List<Integer> localRanks(int node) {
        return ranksByNode.get(node);
    }

    public int nodeOf(int rank) {
        for (int node = 0; node < ranksByNode.size(); node++) {
            if (ranksByNode.get(node).contains(rank)) {
                return node;
            }
        }
        throw new IllegalArgumentException("rank " + rank + " is not part of this step (size " + size() + ")");
    }

    /**
     * The value of the {@code PMI_process_mapping} job attribute, in MPICH's "vector" syntax: a list of
     * {@code (first node, node count, ranks per node)} blocks that assign consecutive ranks; MPICH repeats the
     * vector until every rank is placed. Block layouts compress to one triple per run of equal node sizes
     * ({@code (vector,(0,2,2))} for 2 nodes x 2 ranks), cyclic layouts to their repeating period.
     */
    public String processMapping() {
        int size = size();
        int[] nodeOfRank = new int[size];
        for (int node = 0; node < ranksByNode.size(); node++) {
            for (int rank : ranksByNode.get(node)) {
                nodeOfRank[rank] = node;
            }
        }
        // Runs of consecutive ranks on one node, as (node, 1, runLength).
        List<int[]> triples = new ArrayList<>();
        int r = 0;
        while (r < size) {
            int start = r;
            while (r < size && nodeOfRank[r] == nodeOfRank[start]) {
                r++;
            }
            triples.add(new int[] {nodeOfRank[start], 1, r - start});
        }
        // Merge neighbours that continue on the next node with the same block size.
        List<int[]> merged = new ArrayList<>();
        for (int[] t : triples) {
            if (!merged.isEmpty()) {
                int[] last = merged.getLast();
                if (last[2] == t[2] && last[0] + last[1] == t[0]) {
                    last[1]++;
                    continue;
                }
            }
            merged.add(t.clone());
        }
        int period = smallestPeriod(merged);
        StringBuilder sb = new StringBuilder("(vector");
        for (int i = 0; i < period; i++) {
            int[] t = merged.get(i);
            sb.append(",(").append(t[0]).append(',').append(t[1]).append(',').append(t[2]).append(')');
        }
        return sb.append(')').toString();
    }

    private static int smallestPeriod(List<int[]> triples) {
        int n = triples.size();
        for (int p = 1; p < n; p++) {
            if (n % p != 0) {
                continue;
            }
            boolean repeats = true;
            for (int i = p; i < n && repeats; i++) {
                repeats = Arrays.equals(triples.get(i), triples.get(i - p));
            }
            if (repeats) {
                return p;
            }
        }
        return n;
    }
}
