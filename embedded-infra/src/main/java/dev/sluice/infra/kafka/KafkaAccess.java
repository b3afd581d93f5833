package dev.sluice.infra.kafka;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.kafka.TopicSetup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Who may do what on Sluice's Kafka: the ACL table derived from docs/architecture.md's topic table, in one place.
 * The secure test broker applies it through the Admin API, and {@code infra/kafka/setup-acls.sh} (the production
 * stack's set-up job) is generated from it ({@link #main}), with a test that fails when the two differ.
 *
 * <p>One principal per service ({@code scheduler}, {@code submit}, {@code accounting}, {@code identity}) and one per
 * node agent ({@code node-<name>}); {@code admin} is the broker's super user and the only one that creates topics,
 * users and ACLs. Kafka ACLs stop at the topic: they cannot restrict a node agent to its own partition of
 * {@code sluice.node.commands} or to its own keys on the topics it writes. The second half is closed by
 * {@code dev.sluice.contracts.kafka.NodeEventSignature}; the first is not (see docs/security.md).
 */
public final class KafkaAccess {
    public static final String ADMIN = "admin";
    public static final String SCHEDULER = "scheduler";
    public static final String SUBMIT = "submit";
    public static final String ACCOUNTING = "accounting";
    public static final String IDENTITY = "identity";
    public static final List<String> SERVICES = List.of(SCHEDULER, SUBMIT, ACCOUNTING, IDENTITY);
    public static final ScramMechanism MECHANISM = ScramMechanism.SCRAM_SHA_512;
    public static final int ITERATIONS = 8192;

    /** One allowed operation of one principal on one resource (literal name or name prefix). */
    public record Grant(String principal, ResourceType type, String name, PatternType pattern, AclOperation operation) {
        AclBinding binding() {
            return new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry("User:" + principal, "*", operation, AclPermissionType.ALLOW));
        }
    }

    private KafkaAccess() {
    }

    /** The node agent principal of node {@code node}. */
    public static String nodePrincipal(String node) {
        return "node-" + node;
    }

    /** Every grant for the services and for the node agents of {@code nodes}. */
    public static List<Grant> grants(List<String> nodes) {
        List<Grant> g = new ArrayList<>();
        for (String service : SERVICES) {
            g.addAll(serviceGrants(service));
        }
        for (String node : nodes) {
            g.addAll(nodeGrants(nodePrincipal(node), node));
        }
        return g;
    }

    /** A service's grants: what it writes, what it reads, its consumer groups and transactional ids. */
    public static List<Grant> serviceGrants(String service) {
        List<Grant> g = new ArrayList<>();
        switch (service) {
            case SCHEDULER -> {
                writes(g, service, Topics.JOB_EVENTS, Topics.NODE_COMMANDS, Topics.SCHEDULER_STATE);
                reads(g, service, Topics.JOB_COMMANDS, Topics.NODE_EVENTS, Topics.STEP_EVENTS,
                        Topics.SCHEDULER_STATE, Topics.ACCOUNTING_EVENTS);
                group(g, service, "sluice-scheduler", PatternType.PREFIXED);
                transactionalId(g, service, "sluice-scheduler");
            }
            case SUBMIT -> {
                writes(g, service, Topics.JOB_COMMANDS);
                reads(g, service, Topics.JOB_COMMANDS, Topics.JOB_EVENTS, Topics.IDENTITY_EVENTS,
                        Topics.ACCOUNTING_EVENTS);
                group(g, service, "sluice-submit", PatternType.PREFIXED);
            }
            case ACCOUNTING -> {
                writes(g, service, Topics.ACCOUNTING_EVENTS, Topics.JOBCOMP);
                // identity.events: architecture.md's planned consumer (users and associations from LDAP)
                reads(g, service, Topics.JOB_COMMANDS, Topics.JOB_EVENTS, Topics.STEP_EVENTS, Topics.IDENTITY_EVENTS);
                group(g, service, "sluice-accounting", PatternType.PREFIXED);
            }
            case IDENTITY -> {
                writes(g, service, Topics.IDENTITY_EVENTS);
                reads(g, service, Topics.IDENTITY_EVENTS);
                transactionalId(g, service, "sluice-identity");
            }
            default -> throw new IllegalArgumentException("Unknown service " + service);
        }
        describesAll(g, service);
        return g;
    }

    /**
     * A node agent's grants: it reads the command topic (its partition is its own business), the node events (its
     * PeerDirectory learns the other agents' addresses there) and the identity events (architecture.md: uid and
     * gid of job users), and writes node and step events.
     */
    public static List<Grant> nodeGrants(String principal, String node) {
        List<Grant> g = new ArrayList<>();
        writes(g, principal, Topics.NODE_EVENTS, Topics.STEP_EVENTS);
        reads(g, principal, Topics.NODE_COMMANDS, Topics.NODE_EVENTS, Topics.IDENTITY_EVENTS);
        group(g, principal, "sluice-node-" + node, PatternType.LITERAL);
        describesAll(g, principal);
        return g;
    }

    private static void writes(List<Grant> g, String principal, String... topics) {
        for (String t : topics) {
            g.add(new Grant(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE));
        }
    }

    private static void reads(List<Grant> g, String principal, String... topics) {
        for (String t : topics) {
            g.add(new Grant(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ));
        }
    }

    /** Every service lists the topics at start (TopicSetup creates only the missing ones, which are none). */
    private static void describesAll(List<Grant> g, String principal) {
        for (String t : Topics.ALL) {
            g.add(new Grant(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.DESCRIBE));
        }
    }

    private static void group(List<Grant> g, String principal, String name, PatternType pattern) {
        g.add(new Grant(principal, ResourceType.GROUP, name, pattern, AclOperation.READ));
    }

    private static void transactionalId(List<Grant> g, String principal, String prefix) {
        for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.DESCRIBE)) {
            g.add(new Grant(principal, ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, op));
        }
    }

    /**
     * Creates Sluice's topics as the admin, the way {@link TopicSetup} does for the open broker (same partition
     * counts, the scheduler's state topic compacted), since services may only describe them here.
     */
    public static void createTopics(Admin admin, short replicationFactor) throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        for (String topic : Topics.ALL) {
            topics.add(topic.equals(Topics.SCHEDULER_STATE)
                    ? new NewTopic(topic, 1, replicationFactor).configs(Map.of("cleanup.policy", "compact"))
                    : new NewTopic(topic, TopicSetup.PARTITIONS, replicationFactor));
        }
        for (var f : admin.createTopics(topics).values().values()) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }

    /**
     * Creates or updates the SCRAM credentials of {@code passwords} (principal to password) and adds every ACL of
     * {@link #grants}. Both are idempotent: running it again, or with a new password (rotation), is safe.
     */
    public static void apply(Admin admin, Map<String, String> passwords, List<String> nodes) throws Exception {
        List<UserScramCredentialUpsertion> users = new ArrayList<>();
        passwords.forEach((principal, password) -> users.add(new UserScramCredentialUpsertion(principal,
                new ScramCredentialInfo(MECHANISM, ITERATIONS), password)));
        admin.alterUserScramCredentials(new ArrayList<>(users)).all().get(30, TimeUnit.SECONDS);
        List<AclBinding> bindings = grants(nodes).stream().map(Grant::binding).toList();
        admin.createAcls(bindings).all().get(30, TimeUnit.SECONDS);
        // the broker's authorizer learns new ACLs from the metadata log a moment after the controller took them
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS).containsAll(bindings)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The broker did not show the new ACLs within 60 s");
            }
            Thread.sleep(100);
        }
    }

    /**
     * The production set-up job's script: the same topics, users and grants through Kafka's own command-line tools,
     * run in the apache/kafka image. Node grants are written once with {@code $node} for each name in
     * {@code SLUICE_NODES}.
     */
    public static String shellScript() {
        StringBuilder s = new StringBuilder();
        s.append("""
                #!/usr/bin/env bash
                # GENERATED from embedded-infra/src/main/java/dev/sluice/infra/kafka/KafkaAccess.java: do not edit.
                # Regenerate: java -cp <embedded-infra classpath> dev.sluice.infra.kafka.KafkaAccess > infra/kafka/setup-acls.sh
                # (KafkaAccessTableTest fails when this file and the Java table differ.)
                #
                # Creates Sluice's topics, one SCRAM-SHA-512 user per service and per node agent, and their ACLs, as the
                # broker's super user. Idempotent: run it again after adding a node or rotating a password.
                # Environment: KAFKA_BOOTSTRAP (default kafka:9092), KAFKA_ADMIN_PASSWORD, SLUICE_NODES (node01,node02),
                # SLUICE_KAFKA_PASSWORD_<PRINCIPAL> for each principal (SCHEDULER, SUBMIT, ACCOUNTING, IDENTITY,
                # NODE_<NODE NAME>, upper case, '-' and '.' as '_'), optional SLUICE_REPLICATION_FACTOR (default 1).
                set -euo pipefail
                BOOTSTRAP=${KAFKA_BOOTSTRAP:-kafka:9092}
                BIN=${KAFKA_BIN:-/opt/kafka/bin}
                RF=${SLUICE_REPLICATION_FACTOR:-1}
                : "${KAFKA_ADMIN_PASSWORD:?the broker admin password}"
                : "${SLUICE_NODES:?comma-separated node names, e.g. node01,node02}"
                ADMIN_CONFIG=$(mktemp)
                trap 'rm -f "$ADMIN_CONFIG"' EXIT
                chmod 600 "$ADMIN_CONFIG"
                printf 'security.protocol=SASL_PLAINTEXT\\nsasl.mechanism=SCRAM-SHA-512\\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="%s";\\n' \\
                  "$KAFKA_ADMIN_PASSWORD" > "$ADMIN_CONFIG"

                topic() {
                  "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create \\
                    --if-not-exists --topic "$1" --partitions "$2" --replication-factor "$RF" "${@:3}"
                }
                # Passwords must not contain ',', '[' or ']' (kafka-configs syntax); generate them with: openssl rand -hex 24
                user() {
                  local var="SLUICE_KAFKA_PASSWORD_$(printf '%s' "$1" | tr 'a-z.-' 'A-Z__')"
                  local password="${!var:?$var is not set}"
                  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter \\
                    --entity-type users --entity-name "$1" \\
                    --add-config "SCRAM-SHA-512=[iterations=@ITERATIONS@,password=$password]"
                }
                allow() {
                  local principal=$1 pattern=$2; shift 2
                  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add \\
                    --allow-principal "User:$principal" --resource-pattern-type "$pattern" "$@" >/dev/null
                }

                """.replace("@ITERATIONS@", Integer.toString(ITERATIONS)));
        for (String topic : Topics.ALL) {
            s.append(topic.equals(Topics.SCHEDULER_STATE)
                    ? "topic " + topic + " 1 --config cleanup.policy=compact\n"
                    : "topic " + topic + " " + TopicSetup.PARTITIONS + "\n");
        }
        s.append('\n');
        for (String service : SERVICES) {
            s.append("user ").append(service).append('\n');
            appendAllows(s, service, serviceGrants(service));
            s.append('\n');
        }
        s.append("IFS=',' read -ra NODES <<< \"$SLUICE_NODES\"\n");
        s.append("for node in \"${NODES[@]}\"; do\n");
        s.append("  user \"node-$node\"\n");
        StringBuilder body = new StringBuilder();
        appendAllows(body, "\"node-$node\"", nodeGrants("\"node-$node\"", "$node"));
        body.toString().lines().forEach(l -> s.append("  ").append(l).append('\n'));
        s.append("done\n");
        s.append("echo \"Kafka users and ACLs applied for: ").append(String.join(" ", SERVICES))
                .append(" and nodes $SLUICE_NODES\"\n");
        return s.toString();
    }

    /** One kafka-acls call per resource kind and pattern with the same operations, so the job stays short. */
    private static void appendAllows(StringBuilder s, String principal, List<Grant> grants) {
        Map<String, TreeSet<String>> namesByKind = new LinkedHashMap<>();
        for (Grant g : grants) {
            String kind = option(g.type()) + " " + g.pattern().name().toLowerCase(Locale.ROOT) + " "
                    + operation(g.operation());
            namesByKind.computeIfAbsent(kind, k -> new TreeSet<>()).add(g.name());
        }
        namesByKind.forEach((kind, names) -> {
            String[] k = kind.split(" ");
            s.append("allow ").append(principal).append(' ').append(k[1]).append(" --operation ").append(k[2]);
            for (String name : names) {
                s.append(' ').append(k[0]).append(' ').append(name.contains("$") ? "\"" + name + "\"" : name);
            }
            s.append('\n');
        });
    }

    private static String option(ResourceType type) {
        return switch (type) {
            case TOPIC -> "--topic";
            case GROUP -> "--group";
            case TRANSACTIONAL_ID -> "--transactional-id";
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static String operation(AclOperation op) {
        String n = op.name().toLowerCase(Locale.ROOT);
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    /** Prints the set-up script (no argument) or writes it to the file named by the first argument. */
    public static void main(String[] args) throws IOException {
        if (args.length > 0) {
            Files.writeString(Path.of(args[0]), shellScript(), StandardCharsets.UTF_8);
        } else {
            System.out.print(shellScript());
        }
    }
}
