package dev.sluice.submit.web;

import dev.sluice.contracts.api.SbatchOptionException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every failure leaves as {@code {"error": "..."}}; clients (the CLI) print the message after "sbatch: error: ". */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return error(e.status(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response option(SbatchOptionException e) {
        return error(400, e.getMessage());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        return error(status, e.getResponse().getStatusInfo().getReasonPhrase());
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        // A bug, not bad input: logged with its trace here, never sent to the client.
        LOG.error("Unexpected failure", e);
        return error(500, "Internal error in the submit service: " + e.getClass().getSimpleName());
    }

    public static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ErrorBody(message)).build();
    }
}
