package dev.sluice.contracts.accounting;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An association (cluster, account, user, partition) as it now is, or its removal. {@code user} is absent for an
 * account's own association (where account-wide limits live); {@code parentAccount} places it in the account
 * tree. {@code limits} uses Slurm's names (GrpTRES, GrpJobs, GrpSubmitJobs, GrpTRESRunMins, MaxJobs,
 * MaxSubmitJobs, MaxTRESPerJob, MaxWall) with Slurm's value syntax ("gres/gpu=2", "cpu=10000", "1-00:00:00").
 */
@EventType("sluice.accounting.association-changed.v1")
public record AssociationChanged(String cluster, String account, String user, String partition, String parentAccount,
                                 int shares, Map<String, String> limits, List<String> qos, String defaultQos,
                                 String defaultAccount, boolean removed, Instant time) implements AccountingEvent {
    @Override
    public String key() {
        return key(cluster, account, user, partition);
    }

    public static String key(String cluster, String account, String user, String partition) {
        return "assoc:" + cluster + "/" + account + "/" + (user == null ? "" : user) + "/"
                + (partition == null ? "" : partition);
    }
}
