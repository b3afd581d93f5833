package dev.sluice.auth;

import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Set;

/** The caller of the current request, for resources that check ownership. */
@ApplicationScoped
public class Callers {
    private final boolean enabled;
    private final Instance<SecurityIdentity> identity;

    public Callers(@ConfigProperty(name = "sluice.auth.enabled", defaultValue = "false") boolean enabled,
                   Instance<SecurityIdentity> identity) {
        this.enabled = enabled;
        this.identity = identity;
    }

    public boolean enabled() {
        return enabled;
    }

    /** {@link Caller#OPEN} when authentication is off; the token's user and roles otherwise. */
    public Caller current() {
        if (!enabled) {
            return Caller.OPEN;
        }
        SecurityIdentity id = identity.get();
        if (id == null || id.isAnonymous()) {
            // AuthFilter has already answered 401 for methods that are not @Public.
            return new Caller("anonymous", Set.of(), true);
        }
        return new Caller(id.getPrincipal().getName(), Set.copyOf(id.getRoles()), true);
    }
}
