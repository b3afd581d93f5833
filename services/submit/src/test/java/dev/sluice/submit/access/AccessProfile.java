package dev.sluice.submit.access;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * A Quarkus (and with it a Kafka broker) of its own: the users these tests publish switch the account check on,
 * which the other submit tests, whose callers nobody declared, must not see.
 */
public class AccessProfile implements QuarkusTestProfile {
    @Override
    public String getConfigProfile() {
        return "access";
    }
}
