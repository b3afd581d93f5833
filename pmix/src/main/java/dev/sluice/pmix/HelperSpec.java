package dev.sluice.pmix;

import dev.sluice.pmi.StepLayout;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What one PMIx helper needs to serve one node of one step. The node agent builds it per node of the step and
 * starts {@code java ... dev.sluice.pmix.PmixStepHelper <toArgs()>} with the step's secret in the environment
 * variable {@link #SECRET_ENV} (not on the command line, where every user could read it).
 *
 * @param jobId     Slurm job id
 * @param stepId    step id within the job
 * @param nodeNames the step's nodes in node order; the entry at {@code nodeIndex} is this node
 * @param layout    which global ranks run on which node
 * @param nodeIndex this node's index in {@code nodeNames}
 * @param channel   node 0's channel address: node 0 binds it (port 0 = any, see {@code addressFile}), the others
 *                  connect to it
 * @param uid       user id the ranks run as (registered with libpmix, which checks it when a rank connects)
 * @param gid       group id of the ranks
 * @param workDir   this node's private directory for the step: PMIx rendezvous files, the ranks' TMPDIR and Open
 *                  MPI's shared-memory backing files go below it, so several nodes on one host never collide
 * @param addressFile where node 0 writes {@code host:port} of its channel once listening (may be null)
 * @param statusFile  where the helper writes one line per local rank at the end (may be null)
 * @param command   the program and its arguments, started once per local rank
 * @param rankLaunch  optional {@link RankLaunch} file: each local rank's own command line (the agent's launcher
 *                    around {@code command}) and base environment; null = {@code command} in the helper's own
 *                    environment, as the helper's user
 */
public record HelperSpec(String jobId, int stepId, List<String> nodeNames, StepLayout layout, int nodeIndex,
                         InetSocketAddress channel, int uid, int gid, Path workDir, Path addressFile,
                         Path statusFile, List<String> command, Path rankLaunch) {

    public static final String SECRET_ENV = "SLUICE_PMIX_SECRET";

    public HelperSpec {
        Objects.requireNonNull(jobId, "jobId");
        nodeNames = List.copyOf(nodeNames);
        command = List.copyOf(command);
        if (nodeNames.size() != layout.nodeCount()) {
            throw new IllegalArgumentException(nodeNames.size() + " node names for a layout of " + layout.nodeCount() + " nodes");
        }
        if (nodeIndex < 0 || nodeIndex >= nodeNames.size()) {
            throw new IllegalArgumentException("node index " + nodeIndex + " outside 0.." + (nodeNames.size() - 1));
        }
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no program to run");
        }
        if (nodeNames.stream().anyMatch(n -> n.isBlank() || n.contains(",") || n.contains(";"))) {
            throw new IllegalArgumentException("node names must be non-empty and contain no ',' or ';': " + nodeNames);
        }
    }

    public HelperSpec(String jobId, int stepId, List<String> nodeNames, StepLayout layout, int nodeIndex,
                      InetSocketAddress channel, int uid, int gid, Path workDir, Path addressFile,
                      Path statusFile, List<String> command) {
        this(jobId, stepId, nodeNames, layout, nodeIndex, channel, uid, gid, workDir, addressFile, statusFile,
                command, null);
    }

    public HelperSpec withRankLaunch(Path file) {
        return new HelperSpec(jobId, stepId, nodeNames, layout, nodeIndex, channel, uid, gid, workDir, addressFile,
                statusFile, command, file);
    }

    /** libpmix namespace of the step (Slurm uses {@code slurm.pmix.<job>.<step>}). */
    public String namespace() {
        return "sluice.pmix." + jobId + "." + stepId;
    }

    public String nodeName() {
        return nodeNames.get(nodeIndex);
    }

    /** {@code PMIX_PROC_MAP}: each node's ranks, comma-separated, nodes separated by ';'. */
    public String procMap() {
        StringBuilder sb = new StringBuilder();
        for (List<Integer> ranks : layout.ranksByNode()) {
            if (!sb.isEmpty()) {
                sb.append(';');
            }
            sb.append(String.join(",", ranks.stream().map(String::valueOf).toList()));
        }
        return sb.toString();
    }

    public List<String> toArgs() {
        List<String> a = new ArrayList<>(List.of("--job", jobId, "--step", String.valueOf(stepId),
                "--nodes", String.join(",", nodeNames), "--proc-map", procMap(),
                "--node-index", String.valueOf(nodeIndex),
                "--channel", channel.getHostString() + ":" + channel.getPort(),
                "--uid", String.valueOf(uid), "--gid", String.valueOf(gid), "--work-dir", workDir.toString()));
        if (addressFile != null) {
            a.addAll(List.of("--address-file", addressFile.toString()));
        }
        if (statusFile != null) {
            a.addAll(List.of("--status-file", statusFile.toString()));
        }
        if (rankLaunch != null) {
            a.addAll(List.of("--rank-launch", rankLaunch.toString()));
        }
        a.add("--");
        a.addAll(command);
        return a;
    }

    public static HelperSpec parse(String[] args) {
        String job = null;
        int step = 0;
        List<String> nodes = null;
        String procMap = null;
        int index = 0;
        InetSocketAddress channel = new InetSocketAddress("127.0.0.1", 0);
        int uid = -1;
        int gid = -1;
        Path work = null;
        Path address = null;
        Path status = null;
        Path rankLaunch = null;
        List<String> command = List.of();
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            if (opt.equals("--")) {
                command = Arrays.asList(args).subList(i + 1, args.length);
                break;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + opt + " needs a value");
            }
            String v = args[++i];
            switch (opt) {
                case "--job" -> job = v;
                case "--step" -> step = Integer.parseInt(v);
                case "--nodes" -> nodes = List.of(v.split(","));
                case "--proc-map" -> procMap = v;
                case "--node-index" -> index = Integer.parseInt(v);
                case "--channel" -> {
                    int colon = v.lastIndexOf(':');
                    if (colon < 0) {
                        throw new IllegalArgumentException("--channel wants host:port, got " + v);
                    }
                    channel = new InetSocketAddress(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
                }
                case "--uid" -> uid = Integer.parseInt(v);
                case "--gid" -> gid = Integer.parseInt(v);
                case "--work-dir" -> work = Path.of(v);
                case "--address-file" -> address = Path.of(v);
                case "--status-file" -> status = Path.of(v);
                case "--rank-launch" -> rankLaunch = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + opt);
            }
        }
        if (job == null || nodes == null || procMap == null || work == null || uid < 0 || gid < 0) {
            throw new IllegalArgumentException(
                    "usage: --job ID --step N --nodes A,B --proc-map '0,1;2,3' --node-index I --channel HOST:PORT"
                            + " --uid U --gid G --work-dir DIR [--address-file F] [--status-file F] [--rank-launch F]"
                            + " -- program [args]");
        }
        List<List<Integer>> byNode = new ArrayList<>();
        for (String part : procMap.split(";", -1)) {
            byNode.add(Arrays.stream(part.split(",")).map(String::trim).map(Integer::valueOf).toList());
        }
        StepLayout layout = new StepLayout(job + "." + step, byNode);
        return new HelperSpec(job, step, nodes, layout, index, channel, uid, gid, work, address, status, command,
                rankLaunch);
    }
}
