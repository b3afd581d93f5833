package dev.sluice.auth;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Optional;

/** One line at start-up that says whether the API is guarded, so an open stack is never open by surprise. */
@ApplicationScoped
public class AuthAnnouncer {
    private static final Logger LOG = Logger.getLogger("dev.sluice.auth");

    void onStart(@Observes StartupEvent e,
                 @ConfigProperty(name = "sluice.auth.enabled", defaultValue = "false") boolean enabled,
                 @ConfigProperty(name = "quarkus.oidc.auth-server-url") Optional<String> issuer) {
        if (enabled) {
            LOG.infof("authentication: ON (OIDC bearer tokens from %s; roles user, operator, admin)",
                    issuer.orElse("<quarkus.oidc.auth-server-url unset>"));
        } else {
            LOG.info("authentication: OFF (open API: callers are believed about who they are; "
                    + "keep it on loopback, or set sluice.auth.enabled=true with quarkus.oidc.auth-server-url)");
        }
    }
}
