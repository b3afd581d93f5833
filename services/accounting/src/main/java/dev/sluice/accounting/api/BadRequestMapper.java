package dev.sluice.accounting.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/** Input the service cannot use is the caller's mistake: a 400 with the reason, never a 500 with a stack trace. */
public class BadRequestMapper {
    @ServerExceptionMapper
    public Response badInput(BadRequestException e) {
        return Response.status(Response.Status.BAD_REQUEST)
                .type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", e.getMessage()))
                .build();
    }
}
