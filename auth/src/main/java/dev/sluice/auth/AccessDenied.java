package dev.sluice.auth;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** A 403 with Sluice's {@code {"error": ...}} body, for ownership checks inside resources. */
public final class AccessDenied extends WebApplicationException {
    public AccessDenied(String message) {
        super(message, null, Response.status(403).type(MediaType.APPLICATION_JSON)
                .entity(Messages.json(message)).build());
    }
}
