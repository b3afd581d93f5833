package dev.sluice.submit.access;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.auth.Caller;
import dev.sluice.auth.Callers;
import dev.sluice.contracts.api.SbatchOptionException;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.Owner;
import dev.sluice.submit.submission.JobRequestReader.Accepted;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Optional;

/**
 * Decides whose job it is and whether they may submit it where they asked:
 * <ul>
 * <li>the owner's name is the token's user when authentication is on, the request's claim when it is off;</li>
 * <li>the owner's uid/gid are identity's when identity knows the user (the node agent runs the job with them),
 *     the request's claim otherwise; with authentication on, a user identity does not know is refused, since
 *     believing a claimed uid would let anyone run as anyone;</li>
 * <li>the account check of {@link AccessBook}, with Slurm's message.</li>
 * </ul>
 */
@ApplicationScoped
public class SubmitAccess {
    static final String UNKNOWN_USER = "Batch job submission failed: Invalid user id";

    private final AccessEventsConsumer events;
    private final Callers callers;

    public SubmitAccess(AccessEventsConsumer events, Callers callers) {
        this.events = events;
        this.callers = callers;
    }

    public Accepted admit(Accepted job) {
        Caller caller = callers.current();
        AccessBook book = events.book(Duration.ofSeconds(10));
        String name = caller.authenticated() ? caller.name() : job.owner().user();
        Optional<AccessBook.User> known = book.user(name);
        Owner owner;
        if (known.isPresent()) {
            owner = new Owner(name, known.get().uid(), known.get().gid());
        } else if (caller.authenticated()) {
            throw new SbatchOptionException(UNKNOWN_USER + " (" + name
                    + " is not known to Sluice's identity service: ask an administrator to sync it)");
        } else {
            owner = job.owner();
        }
        JobSpec spec = job.spec();
        if (book.enforcing()) {
            String account = book.account(name, spec.account(), spec.partition())
                    .orElseThrow(() -> new SbatchOptionException(AccessBook.INVALID_ACCOUNT));
            if (!account.equals(spec.account())) {
                spec = withAccount(spec, account);
            }
        }
        return new Accepted(owner, spec);
    }

    /** Through JSON, so fields other engineers add to JobSpec survive. */
    private static JobSpec withAccount(JobSpec spec, String account) {
        ObjectNode node = Json.MAPPER.valueToTree(spec);
        node.put("account", account);
        try {
            return Json.MAPPER.treeToValue(node, JobSpec.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
