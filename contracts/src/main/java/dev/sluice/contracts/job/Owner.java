package dev.sluice.contracts.job;

/** Who a job belongs to: the submitting user's name and numeric ids, as the node agent will run it. */
public record Owner(String user, int uid, int gid) {
}
