package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.node.LaunchRequested;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The job's secret ({@code SLUICE_JOB_TOKEN}, docs/steps.md): the submitter's own when its environment carries one
 * (srun outside an allocation puts a fresh one there), else derived from the scheduler's launch record.
 * <p>
 * Derived, not random, because every node of the job must hold the same token without talking to the others:
 * each gets the same record (only {@code node} differs, and is left out). With {@code sluice.node.job-token-key}
 * set (the same on every agent) it is an HMAC under that key and cannot be computed by anyone who lacks the key;
 * without it, it is as secret as the launch record (job id, launch time to the microsecond, script, environment),
 * which only the cluster's services read.
 */
public final class JobToken {
    public static final String ENV = "SLUICE_JOB_TOKEN";

    private JobToken() {
    }

    public static String of(LaunchRequested launch, String key) {
        Map<String, String> env = launch.spec() == null || launch.spec().env() == null ? Map.of() : launch.spec().env();
        String given = env.get(ENV);
        if (given != null && !given.isBlank()) {
            return given;
        }
        StringBuilder material = new StringBuilder();
        material.append(launch.jobId()).append('\0').append(launch.time()).append('\0');
        if (launch.owner() != null) {
            material.append(launch.owner().uid()).append('\0');
        }
        if (launch.spec() != null && launch.spec().script() != null) {
            material.append(launch.spec().script()).append('\0');
        }
        new TreeMap<>(env).forEach((k, v) -> material.append(k).append('=').append(v).append('\0'));
        byte[] bytes = material.toString().getBytes(StandardCharsets.UTF_8);
        try {
            byte[] digest;
            if (key != null && !key.isEmpty()) {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                digest = mac.doFinal(bytes);
            } else {
                digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            }
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Constant-time comparison, so a wrong token tells nothing about the right one. */
    public static boolean matches(String expected, String given) {
        if (expected == null || given == null) {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
