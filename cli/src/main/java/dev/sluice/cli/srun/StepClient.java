package dev.sluice.cli.srun;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * srun inside an allocation: asks the agent named by {@code SLUICE_NODE_AGENT} to launch the step, prints its
 * stream, and forwards signals. Ctrl-C behaves as in Slurm: the first prints the tasks' status, a second within a
 * second forwards SIGINT, a third kills the step; SIGTERM and SIGHUP are forwarded as they come.
 */
final class StepClient {
    private final Context ctx;
    private final AgentClient agent;
    private final long jobId;
    private final StepSpec spec;
    private final boolean unbuffered;
    private volatile StepOutput output;
    private volatile InputStream stream;
    private volatile Instant lastInterrupt = Instant.EPOCH;
    private int interruptsSent;

    StepClient(Context ctx, AgentClient agent, long jobId, StepSpec spec, boolean unbuffered) {
        this.ctx = ctx;
        this.agent = agent;
        this.jobId = jobId;
        this.spec = spec;
        this.unbuffered = unbuffered;
    }

    int run(Consumer<Consumer<String>> signals) {
        output = new StepOutput(ctx.out(), ctx.err(), spec.label(), unbuffered, spec.effectiveTasks());
        signals.accept(this::onSignal);
        HttpResponse<InputStream> r;
        try {
            r = agent.postStream("/api/v1/jobs/" + jobId + "/steps", spec.request(ctx.env()));
        } catch (IOException e) {
            ctx.err().println("srun: error: Unable to create step for job " + jobId
                    + ": cannot reach the node agent at " + agent.base() + " (" + e.getMessage() + ")");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        if (r.statusCode() != 200) {
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            ctx.err().println("srun: error: " + StepOutput.stripPrefix(AgentClient.error(r.statusCode(), body)));
            return 1;
        }
        stream = r.body();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode e;
                try {
                    e = Api.JSON.readTree(line);
                } catch (IOException bad) {
                    ctx.err().println("srun: error: unreadable line from the node agent: " + line);
                    continue;
                }
                output.event(e);
                if (output.finished()) {
                    break;
                }
            }
        } catch (IOException e) {
            if (!output.finished()) {
                ctx.err().println("srun: error: lost the connection to the node agent at " + agent.base()
                        + ": " + e.getMessage());
            }
        }
        if (!output.finished()) {
            ctx.err().println("srun: error: the node agent ended the stream of step " + jobId + "."
                    + (output.stepId() < 0 ? "?" : output.stepId()) + " before the step finished");
            return 1;
        }
        return output.exitCode();
    }

    /** A signal srun received: "INT", "TERM" or "HUP". Runs on the JVM's signal thread. */
    synchronized void onSignal(String name) {
        long step = output == null ? -1 : output.stepId();
        if (step < 0) {
            // No step yet: dropping the connection is what stops its creation (the agent kills what it started).
            ctx.err().println("srun: Job step creation cancelled");
            closeStream();
            return;
        }
        String id = "StepId=" + jobId + "." + step;
        if (name.equals("INT")) {
            Instant now = ctx.clock().instant();
            if (now.isAfter(lastInterrupt.plusSeconds(1))) {
                lastInterrupt = now;
                ctx.err().println("srun: interrupt (one more within 1 sec to abort)");
                int n = output.runningCount();
                ctx.err().println("srun: " + id + " task" + (n == 1 ? " " : "s ") + output.runningTasks() + ": running");
                ctx.err().flush();
                return;
            }
            if (interruptsSent++ == 0) {
                ctx.err().println("srun: sending Ctrl-C to " + id);
                forward(step, "INT");
            } else {
                ctx.err().println("srun: forcing job termination");
                forward(step, "KILL");
            }
            ctx.err().flush();
            return;
        }
        forward(step, name);
    }

    private void forward(long step, String signal) {
        try {
            HttpResponse<String> r = agent.post("/api/v1/jobs/" + jobId + "/steps/" + step + "/signal?signal=" + signal);
            if (r.statusCode() / 100 != 2) {
                ctx.err().println("srun: error: could not signal " + jobId + "." + step + ": "
                        + AgentClient.error(r.statusCode(), r.body()));
            }
        } catch (IOException e) {
            ctx.err().println("srun: error: could not signal " + jobId + "." + step + ": " + e.getMessage());
            closeStream();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeStream() {
        InputStream s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // Closing is all we wanted.
            }
        }
    }
}
