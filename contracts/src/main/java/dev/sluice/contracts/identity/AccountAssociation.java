package dev.sluice.contracts.identity;

/**
 * A user's right to run under an account, as identity's group-to-account mapping gives it (Slurm's association:
 * user, account, partition, QoS, shares).
 *
 * @param account   the Slurm account (e.g. {@code ai_project})
 * @param partition the default partition for jobs under this account; absent = the cluster's default
 * @param qos       the default QoS; absent = the cluster's default
 * @param shares    fairshare shares of this user in this account (Slurm's {@code Fairshare=}/{@code Shares=})
 */
public record AccountAssociation(String account, String partition, String qos, int shares) {
}
