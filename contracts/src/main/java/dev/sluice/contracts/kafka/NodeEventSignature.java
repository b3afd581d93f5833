package dev.sluice.contracts.kafka;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.node.NodeEvent;
import dev.sluice.contracts.step.StepEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Makes "each node agent writes only its own node's events" true where Kafka ACLs cannot: an ACL lets every node
 * agent write {@code sluice.node.events} and {@code sluice.step.events}, whatever node the event names. So every
 * node agent signs its events with a key of its own node, and the scheduler accepts a node or step event only when
 * the signature is valid for the node the event is about.
 *
 * <p>Keys: the scheduler holds one master key; node {@code n}'s key is HMAC-SHA256(master, "sluice-node-key:v1:" +
 * n), given to that node's agent only ({@code java -cp ... NodeEventSignature <master-hex> <node>} prints it). A
 * node key says nothing about another node's key, so a compromised agent can sign only for its own node. The
 * signature (header {@value #HEADER}: {@code v1:<node>:<base64 HMAC>}) covers the topic, the key, the CloudEvents
 * headers and the payload; copying a signed record unchanged only repeats an event consumers already drop by
 * {@code ce_id}.
 *
 * <p>Node agent: {@code record = NodeEventSignature.sign(KafkaCloudEvents.toRecord(...), name, nodeKey)}.
 * Scheduler: {@code switch (NodeEventSignature.verify(record, masterKey)) { case Authentic a -> apply; case Rejected
 * r -> log r.reason() and skip }}; for a step event it must still check that the node is in the job's allocation.
 */
public final class NodeEventSignature {
    public static final String HEADER = "sluice_node_signature";
    /** Configuration key of a node agent's own key (hex). */
    public static final String NODE_KEY_CONFIG = "sluice.node.signing-key";
    /** Configuration key of the scheduler's master key (hex). */
    public static final String MASTER_KEY_CONFIG = "sluice.node.signing-master-key";
    private static final String VERSION = "v1";

    /** What the scheduler makes of a node or step event. */
    public sealed interface Verdict permits Authentic, Rejected {
    }

    /** Signed by {@code node}'s key, and the event is about {@code node}. */
    public record Authentic(String node, CloudEvent<Event> event) implements Verdict {
    }

    /** Not to be applied; {@code reason} is for the log (it names no key). */
    public record Rejected(String reason) implements Verdict {
    }

    private NodeEventSignature() {
    }

    /** Node {@code node}'s signing key, derived from the scheduler's master key. */
    public static byte[] nodeKey(byte[] masterKey, String node) {
        return hmac(masterKey, ("sluice-node-key:" + VERSION + ":" + node).getBytes(StandardCharsets.UTF_8));
    }

    /** Adds the signature of {@code node} to {@code record} and returns it. */
    public static ProducerRecord<String, byte[]> sign(ProducerRecord<String, byte[]> record, String node,
                                                      byte[] nodeKey) {
        byte[] mac = hmac(nodeKey, canonical(record.topic(), record.key(), record.headers(), record.value()));
        record.headers().add(HEADER, (VERSION + ":" + node + ":" + Base64.getEncoder().encodeToString(mac))
                .getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /**
     * Checks a record of {@code sluice.node.events} or {@code sluice.step.events}: signed, signed by the key of
     * the node it claims, unchanged since, and about that node.
     */
    public static Verdict verify(ConsumerRecord<String, byte[]> record, byte[] masterKey) {
        String header = KafkaCloudEvents.header(record.headers(), HEADER);
        if (header == null) {
            return new Rejected("unsigned event on " + record.topic() + " (key " + record.key() + ")");
        }
        String[] parts = header.split(":", 3);
        if (parts.length != 3 || !parts[0].equals(VERSION)) {
            return new Rejected("unreadable signature on " + record.topic() + " (key " + record.key() + ")");
        }
        String node = parts[1];
        byte[] given;
        try {
            given = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            return new Rejected("unreadable signature claiming node " + node);
        }
        byte[] expected = hmac(nodeKey(masterKey, node),
                canonical(record.topic(), record.key(), withoutSignature(record.headers()), record.value()));
        if (!MessageDigest.isEqual(expected, given)) {
            return new Rejected("signature does not match node " + node + "'s key on " + record.topic()
                    + " (key " + record.key() + ")");
        }
        Optional<CloudEvent<Event>> event;
        try {
            event = KafkaCloudEvents.fromRecord(record);
        } catch (RuntimeException e) {
            return new Rejected("malformed event signed by node " + node + ": " + e.getMessage());
        }
        if (event.isEmpty()) {
            return new Rejected("unknown event type signed by node " + node);
        }
        String about = switch (event.get().data()) {
            case NodeEvent n -> n.node();
            case StepEvent s -> s.node();
            default -> null;
        };
        if (!node.equals(about)) {
            return new Rejected("node " + node + " signed an event about " + (about == null
                    ? "no node (" + event.get().type() + ")" : "node " + about));
        }
        return new Authentic(node, event.get());
    }

    /** The node agent's own key from {@value #NODE_KEY_CONFIG}; empty when unset (an open stack: no signing). */
    public static Optional<byte[]> configuredNodeKey() {
        return KafkaSettings.setting(NODE_KEY_CONFIG).map(NodeEventSignature::key);
    }

    /**
     * The scheduler's master key from {@value #MASTER_KEY_CONFIG}; empty when unset (an open stack: accept node and
     * step events unchecked). When present, every node and step event must pass {@link #verify}.
     */
    public static Optional<byte[]> configuredMasterKey() {
        return KafkaSettings.setting(MASTER_KEY_CONFIG).map(NodeEventSignature::key);
    }

    /** Reads a hex key from configuration. */
    public static byte[] key(String hex) {
        byte[] k = HexFormat.of().parseHex(hex.strip());
        if (k.length < 16) {
            throw new IllegalArgumentException("A node signing key needs at least 16 bytes (32 hex digits)");
        }
        return k;
    }

    private static Headers withoutSignature(Headers headers) {
        var copy = new org.apache.kafka.common.header.internals.RecordHeaders(headers.toArray());
        copy.remove(HEADER);
        return copy;
    }

    private static byte[] canonical(String topic, String key, Headers headers, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, topic);
        field(out, key);
        for (String name : new String[] {KafkaCloudEvents.ID, KafkaCloudEvents.TYPE, KafkaCloudEvents.SOURCE,
                KafkaCloudEvents.SUBJECT, KafkaCloudEvents.TIME}) {
            field(out, KafkaCloudEvents.header(headers, name));
        }
        if (value != null) {
            out.writeBytes(value);
        }
        return out.toByteArray();
    }

    /** Length-prefixed, so no two different field lists give the same bytes. */
    private static void field(ByteArrayOutputStream out, String s) {
        byte[] b = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
        int n = s == null ? -1 : b.length;
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.writeBytes(b);
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Prints node {@code args[1]}'s key (hex) derived from the master key {@code args[0]} (hex). */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: NodeEventSignature <master-key-hex> <node-name>");
            System.exit(2);
        }
        System.out.println(HexFormat.of().formatHex(nodeKey(key(args[0]), args[1])));
    }
}
