package dev.sluice.cli.scontrol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.sinfo.Hostlist;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * scontrol: show job|node|partition in Slurm's key=value layout; update of nodes (drain, resume, down) and jobs
 * (time limit, partition, nice, priority); hold, release, requeue; reconfigure. Nodes, partitions and the admin
 * operations go to the scheduler, job commands to the submit service.
 */
public final class Scontrol {
    /** Paths of the operations, in one place so that they follow the services' documented API. */
    static final String SCHED_JOB = "/api/v1/jobs/";
    static final String NODE_STATE = "/api/v1/admin/nodes/%s/state";
    static final String RECONFIGURE = "/api/v1/admin/reconfigure";
    static final String SUBMIT_JOB = "/api/v1/jobs/";

    private final Context ctx;
    private final Api api;
    private final Controller sched;
    private boolean oneLiner;
    private boolean details;

    private Scontrol(Context ctx, Api api) {
        this.ctx = ctx;
        this.api = api;
        this.sched = new Controller(ctx, api);
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        return new Scontrol(ctx, api).run(argv);
    }

    private int run(List<String> argv) {
        List<String> args = new ArrayList<>();
        for (String a : argv) {
            switch (a) {
                case "-o", "--oneliner" -> oneLiner = true;
                case "-d", "--details" -> details = true;
                case "-a", "--all", "-Q", "--quiet" -> { }
                case "-h", "--help", "--usage" -> {
                    usage();
                    return 0;
                }
                default -> {
                    if (a.startsWith("-") && args.isEmpty()) {
                        ctx.err().println("scontrol: unrecognized option '" + a + "'");
                        ctx.err().println("Try \"scontrol --help\" for more information");
                        return 1;
                    }
                    args.add(a);
                }
            }
        }
        if (args.isEmpty()) {
            usage();
            return 1;
        }
        String cmd = args.getFirst().toLowerCase(Locale.ROOT);
        List<String> rest = args.subList(1, args.size());
        try {
            if (is(cmd, "show", 3)) {
                return show(rest);
            } else if (is(cmd, "update", 1)) {
                return update(rest);
            } else if (List.of("hold", "uhold", "release", "requeue", "requeuehold").contains(cmd)) {
                return jobCommand(cmd, rest);
            } else if (is(cmd, "reconfigure", 5)) {
                JsonNode r = sched.post(RECONFIGURE, Map.of());
                String msg = Controller.text(r, "message", "");
                if (!msg.isBlank()) {
                    ctx.out().println(msg);
                }
                return 0;
            }
        } catch (Api.Unreachable e) {
            ctx.err().println("scontrol: error: " + e.getMessage());
            return 1;
        } catch (Controller.Failed e) {
            ctx.err().println("scontrol: error: " + e.getMessage());
            return 1;
        }
        ctx.err().println("invalid keyword: " + args.getFirst());
        return 1;
    }

    /** scontrol takes any unambiguous prefix of at least {@code min} letters, as Slurm's keywords do. */
    private static boolean is(String given, String keyword, int min) {
        return given.length() >= Math.min(min, keyword.length()) && keyword.startsWith(given);
    }

    private void usage() {
        ctx.out().println("""
                Usage: scontrol [-o] <command> [<arguments>]
                  show job|node|partition [<name>]
                  update NodeName=<nodes> State=DRAIN|RESUME|DOWN [Reason=<text>]
                  update JobId=<id> [TimeLimit=<time>] [Partition=<name>] [Nice=<n>] [Priority=<n>]
                  hold|uhold|release|requeue <job_id>[,<job_id>...]
                  reconfigure""".stripIndent());
    }

    // ---- show ----------------------------------------------------------------------------------------------

    private int show(List<String> rest) throws Api.Unreachable, Controller.Failed {
        if (rest.isEmpty()) {
            ctx.err().println("too few arguments for keyword:show");
            return 1;
        }
        String what = rest.getFirst().toLowerCase(Locale.ROOT);
        String name = rest.size() > 1 ? rest.get(1) : null;
        if (what.contains("=")) {
            name = what.substring(what.indexOf('=') + 1);
            what = what.substring(0, what.indexOf('='));
        }
        if (is(what, "jobs", 1) || what.equals("jobid")) {
            return showJobs(name);
        } else if (is(what, "nodes", 1) || what.equals("nodename")) {
            return showNodes(name);
        } else if (is(what, "partitions", 1) || what.equals("partitionname")) {
            return showPartitions(name);
        }
        ctx.err().println("invalid entity:" + rest.getFirst() + " for keyword:show");
        return 1;
    }

    private int showJobs(String id) throws Api.Unreachable {
        List<JsonNode> jobs = new ArrayList<>();
        if (id == null) {
            Api.Response r = api.get(ctx.endpoints().submit(), "/api/v1/jobs", Map.of());
            if (!r.ok()) {
                ctx.err().println("slurm_load_jobs error: " + r.error());
                return 1;
            }
            try {
                Api.JSON.readTree(r.body()).forEach(jobs::add);
            } catch (java.io.IOException e) {
                ctx.err().println("slurm_load_jobs error: " + e.getMessage());
                return 1;
            }
            if (jobs.isEmpty()) {
                ctx.out().println("No jobs in the system");
                return 0;
            }
        } else {
            if (!id.matches("\\d+")) {
                ctx.err().println("slurm_load_jobs error: Invalid job id specified");
                return 1;
            }
            Api.Response r = api.get(ctx.endpoints().submit(), SUBMIT_JOB + id, Map.of());
            if (!r.ok()) {
                ctx.err().println("slurm_load_jobs error: " + (r.status() == 404 ? "Invalid job id specified" : r.error()));
                return 1;
            }
            try {
                jobs.add(Api.JSON.readTree(r.body()));
            } catch (java.io.IOException e) {
                ctx.err().println("slurm_load_jobs error: " + e.getMessage());
                return 1;
            }
        }
        List<String> records = new ArrayList<>();
        for (JsonNode j : jobs) {
            records.add(ShowText.job(merge(j), ctx, details));
        }
        print(records);
        return 0;
    }

    /**
     * The submit service knows the job as submitted and its state; the scheduler knows its priority and the
     * scheduling details. A scheduler that does not answer (or does not know the job) leaves those out.
     */
    private JsonNode merge(JsonNode submitted) {
        ObjectNode out = submitted.deepCopy();
        try {
            JsonNode s = sched.get(SCHED_JOB + Controller.num(submitted, "jobId", 0), Map.of());
            JsonNode job = s.has("job") ? s.get("job") : s;
            // The scheduler speaks scontrol's keys; it is the fresher source for what scheduling decides.
            for (String[] k : SCHED_KEYS) {
                if (Controller.has(job, k[0])) {
                    out.set(k[1], job.get(k[0]));
                }
            }
        } catch (Api.Unreachable | Controller.Failed e) {
            // Priority and scheduling details stay unknown; the job as submitted is still worth showing.
        }
        return out;
    }

    /** Scheduler show-job keys and the names this command's records use. */
    private static final String[][] SCHED_KEYS = {
            {"Priority", "priority"}, {"Nice", "nice"}, {"Reason", "reason"}, {"EligibleTime", "eligibleTime"},
            {"Dependency", "dependency"}, {"ReqNodeList", "reqNodes"}, {"ExcNodeList", "excNodes"},
            {"TresPerNode", "gres"}, {"Requeue", "requeue"}, {"Restarts", "restarts"},
            {"ArrayJobId", "arrayJobId"}, {"ArrayTaskId", "arrayTaskId"}, {"Features", "features"},
            {"Layout", "layout"}, {"priority", "priority"}, {"nice", "nice"}};

    private int showNodes(String name) throws Api.Unreachable, Controller.Failed {
        List<JsonNode> nodes = sched.nodes();
        List<String> wanted = name == null ? null : Hostlist.expand(name);
        List<String> records = new ArrayList<>();
        for (JsonNode n : nodes.stream().sorted(java.util.Comparator.comparing(x -> Controller.text(x, "name", ""))).toList()) {
            if (wanted == null || wanted.contains(Controller.text(n, "name", ""))) {
                records.add(ShowText.node(n, ctx));
            }
        }
        if (records.isEmpty()) {
            ctx.out().println(name == null ? "No nodes in the system" : "Node " + name + " not found");
            return name == null ? 0 : 1;
        }
        print(records);
        return 0;
    }

    private int showPartitions(String name) throws Api.Unreachable, Controller.Failed {
        List<JsonNode> nodes = sched.nodes();
        List<String> records = new ArrayList<>();
        for (JsonNode p : sched.partitions()) {
            if (name == null || name.equals(Controller.text(p, "name", ""))) {
                records.add(ShowText.partition(p, nodes));
            }
        }
        if (records.isEmpty()) {
            ctx.out().println(name == null ? "No partitions in the system" : "Partition " + name + " not found");
            return name == null ? 0 : 1;
        }
        print(records);
        return 0;
    }

    private void print(List<String> records) {
        for (String r : records) {
            if (oneLiner) {
                ctx.out().println(r.replaceAll("\\n\\s*", " ").strip());
            } else {
                ctx.out().println(r);
                ctx.out().println();
            }
        }
    }

    // ---- update ----------------------------------------------------------------------------------------------

    private int update(List<String> rest) throws Api.Unreachable, Controller.Failed {
        Map<String, String> kv = new LinkedHashMap<>();
        String entityValue = null;
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            int eq = a.indexOf('=');
            if (eq < 0) {
                // "update job 42 TimeLimit=..." is accepted by Slurm too.
                String k = a.toLowerCase(Locale.ROOT);
                if ((k.equals("job") || k.equals("jobid")) && i + 1 < rest.size()) {
                    kv.put("jobid", rest.get(++i));
                    continue;
                }
                if ((k.equals("node") || k.equals("nodename")) && i + 1 < rest.size()) {
                    kv.put("nodename", rest.get(++i));
                    continue;
                }
                ctx.err().println("scontrol: error: Invalid input: " + a);
                ctx.err().println("Request aborted");
                return 1;
            }
            kv.put(a.substring(0, eq).toLowerCase(Locale.ROOT), a.substring(eq + 1));
        }
        if (kv.containsKey("nodename")) {
            return updateNodes(kv);
        }
        if (kv.containsKey("jobid")) {
            return updateJob(kv);
        }
        ctx.err().println("No valid entity in update command");
        ctx.err().println("Input line must include \"NodeName\", \"PartitionName\", \"Reservation/ReservationName\", or \"JobId\"");
        return 1;
    }

    private int updateNodes(Map<String, String> kv) throws Api.Unreachable {
        String state = kv.get("state");
        String reason = kv.get("reason");
        if (state == null) {
            ctx.err().println("scontrol: error: Update of this parameter is not supported: "
                    + String.join(" ", kv.keySet().stream().filter(k -> !k.equals("nodename")).toList()));
            ctx.err().println("Request aborted");
            return 1;
        }
        String s = state.toUpperCase(Locale.ROOT);
        switch (s) {
            case "DRAIN", "DOWN", "RESUME", "IDLE", "UNDRAIN", "FAIL" -> { }
            default -> {
                ctx.err().println("scontrol: error: Invalid input: State=" + state);
                ctx.err().println("Request aborted");
                ctx.err().println("Valid states are: NoResp DRAIN FAIL RESUME POWER_DOWN_ASAP POWER_DOWN_FORCE POWER_DOWN POWER_UP UNDRAIN DOWN IDLE");
                return 1;
            }
        }
        if ((s.equals("DRAIN") || s.equals("DOWN") || s.equals("FAIL")) && (reason == null || reason.isBlank())) {
            ctx.err().println("You must specify a reason when DOWNING or DRAINING a node. Request denied");
            return 1;
        }
        int rc = 0;
        for (String node : Hostlist.expand(kv.get("nodename"))) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("state", s);
            if (reason != null) {
                body.put("reason", reason);
            }
            // sinfo -R's USER: the scheduler believes this claim only with authentication off
            body.put("user", ctx.identity().user());
            Api.Response r = api.post(sched.base(), NODE_STATE.formatted(node), body);
            if (!r.ok()) {
                ctx.err().println("scontrol: error: " + errorText(r, "Invalid node name specified"));
                rc = 1;
            }
        }
        return rc;
    }

    private int updateJob(Map<String, String> kv) throws Api.Unreachable {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("user", ctx.identity().user());
        body.put("admin", ctx.identity().isRoot());
        for (Map.Entry<String, String> e : kv.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "jobid" -> { }
                case "timelimit" -> body.put("timeLimit", v);
                case "partition" -> body.put("partition", v);
                case "nice" -> {
                    if (!v.matches("[+-]?\\d+")) {
                        ctx.err().println("scontrol: error: Invalid nice value: " + v);
                        return 1;
                    }
                    body.put("nice", Integer.parseInt(v.replace("+", "")));
                }
                case "priority" -> {
                    if (!v.matches("\\d+")) {
                        ctx.err().println("scontrol: error: Invalid input: Priority=" + v);
                        ctx.err().println("Request aborted");
                        return 1;
                    }
                    body.put("priority", Long.parseLong(v));
                }
                default -> {
                    ctx.err().println("scontrol: error: Update of this parameter is not supported: " + e.getKey() + "=" + v);
                    ctx.err().println("Request aborted");
                    return 1;
                }
            }
        }
        int rc = 0;
        for (String id : kv.get("jobid").split(",")) {
            if (!id.matches("\\d+")) {
                ctx.err().println("scontrol: error: Invalid job id specified");
                rc = 1;
                continue;
            }
            rc |= patchJob(id, body);
        }
        return rc;
    }

    private int jobCommand(String cmd, List<String> rest) throws Api.Unreachable {
        if (rest.isEmpty()) {
            ctx.err().println("too few arguments for keyword:" + cmd);
            return 1;
        }
        int rc = 0;
        for (String arg : rest) {
            for (String id : arg.replaceFirst("(?i)^jobid=", "").split(",")) {
                if (!id.matches("\\d+")) {
                    ctx.err().println("scontrol: error: Invalid job id specified");
                    rc = 1;
                    continue;
                }
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("user", ctx.identity().user());
                // Slurm: an operator's hold is an admin hold (JobHeldAdmin) that only an operator may release;
                // uhold is always the user's own hold.
                body.put("admin", !cmd.equals("uhold") && ctx.identity().isRoot());
                String op = switch (cmd) {
                    case "uhold" -> "hold";
                    case "requeuehold" -> "requeue";
                    default -> cmd;
                };
                if (cmd.equals("requeuehold")) {
                    body.put("hold", true);
                }
                rc |= postJob(id, op, body);
            }
        }
        return rc;
    }

    private int postJob(String id, String op, Map<String, Object> body) throws Api.Unreachable {
        Api.Response r = api.post(ctx.endpoints().submit(), SUBMIT_JOB + id + "/" + op, body);
        if (r.ok()) {
            return 0;
        }
        ctx.err().println("scontrol: error: " + errorText(r, "Invalid job id specified"));
        return 1;
    }

    /** scontrol update JobId=: a PATCH of the job on submit (the shared Api client speaks GET, POST, DELETE). */
    private int patchJob(String id, Map<String, Object> body) throws Api.Unreachable {
        Api.Response r;
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                    .connectTimeout(java.time.Duration.ofSeconds(5)).version(java.net.http.HttpClient.Version.HTTP_1_1)
                    .build();
            java.net.http.HttpResponse<String> resp = http.send(java.net.http.HttpRequest
                    .newBuilder(java.net.URI.create(ctx.endpoints().submit() + SUBMIT_JOB + id))
                    .timeout(java.time.Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").header("Accept", "application/json")
                    .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(Api.JSON.writeValueAsString(body)))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            r = new Api.Response(resp.statusCode(), resp.body());
        } catch (java.io.IOException e) {
            throw new Api.Unreachable("Unable to contact slurm controller (connect failure)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Api.Unreachable("Interrupted", e);
        }
        if (r.ok()) {
            return 0;
        }
        ctx.err().println("scontrol: error: " + errorText(r, "Invalid job id specified"));
        return 1;
    }

    /** The service's own words when it sent an error body; for a bare 404, Slurm's words for an unknown name. */
    static String errorText(Api.Response r, String notFound) {
        String e = r.error();
        return r.status() == 404 && e.startsWith("Unexpected response") ? notFound : e;
    }
}
