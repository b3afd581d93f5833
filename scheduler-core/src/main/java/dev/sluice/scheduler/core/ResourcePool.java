package dev.sluice.scheduler.core;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The free CPUs, memory and GPUs of the up nodes, as flat arrays so a pass over 10,000 nodes stays cheap. A pass
 * works on the live pool (starting a job takes from it) and backfill works on copies that look into the future
 * (running jobs' resources given back at their expected end).
 */
public final class ResourcePool {
    /** One GPU: its type ({@code h100}) and the socket it hangs off (-1: unknown). */
    public record Gpu(String type, int socket) {
    }

    final String[] names;
    final int[][] cpuIds;
    /** socket of each CPU position, or null when the node has one socket. */
    final int[][] cpuSocket;
    final long[] totalMem;
    final Gpu[][] gpus;
    /**
     * Which CPU positions are free, every node's bits in one array: node i owns the words from
     * {@code cpuWord[i]} to {@code cpuWord[i + 1]}. A copy is one array copy, and a cluster of many small nodes is
     * not many small objects.
     */
    private long[] cpuBits;
    private final int[] cpuWord;
    final int[] freeCount;
    final long[] freeMem;
    final BitSet[] freeGpus;
    /**
     * Copy on write for the GPU sets: a copy shares them with its origin, and whichever side changes a node's GPUs
     * first clones that node's set. Backfill copies the pool a few times a pass; most jobs change no GPU.
     */
    private boolean[] ownGpus;
    /** Free CPUs over all nodes: a job asking for more cannot fit, whatever its nodes. */
    long freeCpuTotal;
    /**
     * ThreadsPerCore of each node: with more than one, CPUs are handed out in whole cores (positions
     * {@code k*t .. k*t+t-1}, Slurm's numbering of a core's threads), as Slurm does.
     */
    int[] threads;
    final Map<String, Integer> index;
    /**
     * Node indices of allocations seen before, by the list's identity (allocations are never changed once made):
     * every start, end and look-ahead release would otherwise hash each node name again. Shared by copies.
     */
    private final Map<List<NodeShare>, int[]> indices;
    /** How often resources were given back: a misfit remembered before is stale once this moves. */
    int releases;
    /** How often resources were taken. */
    int takes;

    ResourcePool(List<String> nodeNames, List<int[]> cpus, List<int[]> sockets, List<Long> mem, List<Gpu[]> gpuList) {
        int n = nodeNames.size();
        names = nodeNames.toArray(new String[0]);
        cpuIds = cpus.toArray(new int[0][]);
        cpuSocket = sockets.toArray(new int[0][]);
        totalMem = new long[n];
        gpus = gpuList.toArray(new Gpu[0][]);
        cpuWord = new int[n + 1];
        for (int i = 0; i < n; i++) {
            cpuWord[i + 1] = cpuWord[i] + (cpuIds[i].length + 63) / 64;
        }
        cpuBits = new long[cpuWord[n]];
        freeCount = new int[n];
        freeMem = new long[n];
        freeGpus = new BitSet[n];
        index = new HashMap<>(n * 2);
        indices = new java.util.IdentityHashMap<>();
        for (int i = 0; i < n; i++) {
            totalMem[i] = mem.get(i);
            for (int p = 0; p < cpuIds[i].length; p++) {
                cpuBits[cpuWord[i] + (p >> 6)] |= 1L << p;
            }
            freeCount[i] = cpuIds[i].length;
            freeMem[i] = totalMem[i];
            freeGpus[i] = new BitSet(gpus[i].length);
            freeGpus[i].set(0, gpus[i].length);
            index.put(names[i], i);
            freeCpuTotal += freeCount[i];
        }
        ownGpus = new boolean[n];
        Arrays.fill(ownGpus, true);
        threads = new int[n];
        Arrays.fill(threads, 1);
    }

    private ResourcePool(ResourcePool o) {
        names = o.names;
        cpuIds = o.cpuIds;
        cpuSocket = o.cpuSocket;
        totalMem = o.totalMem;
        gpus = o.gpus;
        index = o.index;
        indices = o.indices;
        int n = names.length;
        cpuWord = o.cpuWord;
        cpuBits = o.cpuBits.clone();
        freeGpus = o.freeGpus.clone();
        ownGpus = new boolean[n];
        Arrays.fill(o.ownGpus, false);
        freeCount = o.freeCount.clone();
        freeMem = o.freeMem.clone();
        freeCpuTotal = o.freeCpuTotal;
        threads = o.threads;
        singleThreaded = o.singleThreaded;
    }

    private void ownedGpus(int i) {
        if (!ownGpus[i]) {
            freeGpus[i] = (BitSet) freeGpus[i].clone();
            ownGpus[i] = true;
        }
    }

    public ResourcePool copy() {
        return new ResourcePool(this);
    }

    /** Keeps only what is free both here and in {@code other}. */
    public void retainFree(ResourcePool other) {
        freeCpuTotal = 0;
        for (int i = 0; i < names.length; i++) {
            boolean changed = false;
            for (int w = cpuWord[i]; w < cpuWord[i + 1]; w++) {
                long kept = cpuBits[w] & other.cpuBits[w];
                changed |= kept != cpuBits[w];
                cpuBits[w] = kept;
            }
            if (changed) {
                int c = 0;
                for (int w = cpuWord[i]; w < cpuWord[i + 1]; w++) {
                    c += Long.bitCount(cpuBits[w]);
                }
                freeCount[i] = c;
            }
            if (freeGpus[i] != other.freeGpus[i]) {
                ownedGpus(i);
                freeGpus[i].and(other.freeGpus[i]);
            }
            freeMem[i] = Math.min(freeMem[i], other.freeMem[i]);
            freeCpuTotal += freeCount[i];
        }
    }

    /** 0 not yet known, 1 every node has one thread per core, 2 not; {@link #threads} is set once, after building. */
    private byte singleThreaded;

    /** Whether every node has one thread per core (a task's CPU is then any one free CPU). */
    boolean singleThreaded() {
        if (singleThreaded == 0) {
            byte v = 1;
            for (int t : threads) {
                if (t > 1) {
                    v = 2;
                    break;
                }
            }
            singleThreaded = v;
        }
        return singleThreaded == 1;
    }

    /** Whether CPU position {@code p} (an index into {@code cpuIds[i]}) of node i is free. */
    boolean cpuFree(int i, int p) {
        return (cpuBits[cpuWord[i] + (p >> 6)] & (1L << p)) != 0;
    }

    /** The first free CPU position of node i at or after {@code from}, or -1. */
    int nextFreeCpu(int i, int from) {
        int end = cpuIds[i].length;
        if (from >= end) {
            return -1;
        }
        int w = cpuWord[i] + (from >> 6);
        long word = cpuBits[w] & (-1L << from);
        while (true) {
            if (word != 0) {
                int p = ((w - cpuWord[i]) << 6) + Long.numberOfTrailingZeros(word);
                return p < end ? p : -1;
            }
            if (++w >= cpuWord[i + 1]) {
                return -1;
            }
            word = cpuBits[w];
        }
    }

    public int size() {
        return names.length;
    }

    boolean idle(int i) {
        return freeCount[i] == cpuIds[i].length && freeMem[i] == totalMem[i]
                && freeGpus[i].cardinality() == gpus[i].length;
    }

    int freeGpus(int i, String type) {
        if (type == null) {
            return freeGpus[i].cardinality();
        }
        int c = 0;
        for (int g = freeGpus[i].nextSetBit(0); g >= 0; g = freeGpus[i].nextSetBit(g + 1)) {
            if (type.equalsIgnoreCase(gpus[i][g].type())) {
                c++;
            }
        }
        return c;
    }

    private int position(int node, int cpuId) {
        return Arrays.binarySearch(cpuIds[node], cpuId);
    }

    /** Each share's node index, -1 for a node this pool does not know. */
    int[] indices(List<NodeShare> shares) {
        int[] known = indices.get(shares);
        if (known != null && known.length == shares.size()) {
            return known;
        }
        if (indices.size() > 8192) {
            indices.clear();
        }
        int[] out = new int[shares.size()];
        for (int k = 0; k < out.length; k++) {
            Integer i = index.get(shares.get(k).node());
            out[k] = i == null ? -1 : i;
        }
        indices.put(shares, out);
        return out;
    }

    /** True when every CPU, GPU and MB of the shares is free here (nodes this pool does not know count as busy). */
    public boolean canTake(List<NodeShare> shares) {
        int[] at = indices(shares);
        for (int k = 0; k < at.length; k++) {
            NodeShare s = shares.get(k);
            int i = at[k];
            if (i < 0 || freeMem[i] < s.memMb()) {
                return false;
            }
            for (int cpu : s.cpuIds()) {
                int p = position(i, cpu);
                if (p < 0 || !cpuFree(i, p)) {
                    return false;
                }
            }
            for (int g : s.gpuIds()) {
                if (g < 0 || g >= gpus[i].length || !freeGpus[i].get(g)) {
                    return false;
                }
            }
        }
        return true;
    }

    public void take(List<NodeShare> shares) {
        apply(shares, false);
    }

    public void release(List<NodeShare> shares) {
        apply(shares, true);
    }

    private void apply(List<NodeShare> shares, boolean free) {
        if (free) {
            releases++;
        } else {
            takes++;
        }
        int[] at = indices(shares);
        for (int k = 0; k < at.length; k++) {
            NodeShare s = shares.get(k);
            int i = at[k];
            if (i < 0) {
                continue;
            }
            if (!s.gpuIds().isEmpty()) {
                ownedGpus(i);
            }
            for (int cpu : s.cpuIds()) {
                int p = position(i, cpu);
                if (p >= 0 && cpuFree(i, p) != free) {
                    cpuBits[cpuWord[i] + (p >> 6)] ^= 1L << p;
                    freeCount[i] += free ? 1 : -1;
                    freeCpuTotal += free ? 1 : -1;
                }
            }
            for (int g : s.gpuIds()) {
                if (g >= 0 && g < gpus[i].length) {
                    freeGpus[i].set(g, free);
                }
            }
            freeMem[i] += free ? s.memMb() : -s.memMb();
        }
    }
}
