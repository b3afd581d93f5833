package dev.sluice.auth;

import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.lang.reflect.Method;
import java.util.Set;

/**
 * Guards every REST method when {@code sluice.auth.enabled=true}: a valid bearer token (401 otherwise) with the
 * role of {@link Requires} (403 otherwise), answered as {@code {"error": ...}} like every other Sluice error.
 * Authentication is lazy (not proactive) so that a bad token reaches this filter instead of an empty 401.
 */
public class AuthFilter {
    private static final Logger LOG = Logger.getLogger(AuthFilter.class);

    private final boolean enabled;
    private final CurrentIdentityAssociation identities;

    public AuthFilter(@ConfigProperty(name = "sluice.auth.enabled", defaultValue = "false") boolean enabled,
                      CurrentIdentityAssociation identities) {
        this.enabled = enabled;
        this.identities = identities;
    }

    @ServerRequestFilter(priority = Priorities.AUTHORIZATION)
    public Uni<Response> check(ResourceInfo info) {
        if (!enabled || info == null || info.getResourceMethod() == null) {
            return Uni.createFrom().nullItem();
        }
        Method method = info.getResourceMethod();
        Class<?> type = info.getResourceClass();
        if (method.isAnnotationPresent(Public.class) || type.isAnnotationPresent(Public.class)) {
            return Uni.createFrom().nullItem();
        }
        Role needed = needed(method, type);
        return identities.getDeferredIdentity()
                .map(id -> decide(id, needed))
                .onFailure().recoverWithItem(t -> {
                    LOG.debugf("token refused: %s", t.toString());
                    return error(401, Messages.badToken(reason(t)));
                });
    }

    static Role needed(Method method, Class<?> type) {
        Requires r = method.getAnnotation(Requires.class);
        if (r == null) {
            r = type.getAnnotation(Requires.class);
        }
        return r == null ? Role.USER : r.value();
    }

    private static Response decide(SecurityIdentity id, Role needed) {
        if (id == null || id.isAnonymous()) {
            return error(401, Messages.NO_TOKEN);
        }
        Caller caller = new Caller(id.getPrincipal().getName(), Set.copyOf(id.getRoles()), true);
        if (!caller.has(needed)) {
            return error(403, Messages.needsRole(needed, caller));
        }
        return null;
    }

    private static String reason(Throwable t) {
        // quarkus-oidc's failures carry no message fit for users; the cause's often says "expired" or similar.
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.isBlank() && m.length() < 200) {
                return m;
            }
        }
        return null;
    }

    static Response error(int status, String message) {
        Response.ResponseBuilder b = Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Messages.json(message));
        if (status == 401) {
            b.header("WWW-Authenticate", "Bearer realm=\"sluice\"");
        }
        return b.build();
    }

    /** Ownership checks inside resources: more specific than a service's own WebApplicationException mapper. */
    @ServerExceptionMapper
    public Response denied(AccessDenied e) {
        return e.getResponse();
    }
}
