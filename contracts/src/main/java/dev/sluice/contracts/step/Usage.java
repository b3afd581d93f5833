package dev.sluice.contracts.step;

/** Resources a step used: CPU time split as the kernel reports it, and the peak resident set size. */
public record Usage(long cpuUserMs, long cpuSystemMs, long maxRssKb) {
    public static final Usage NONE = new Usage(0, 0, 0);
}
