package dev.sluice.infra.kafka;

import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.NodeEventSignature;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Docker does not run on this machine kind, so the production stack's Kafka security is checked here, not run:
 * the set-up script is the ACL table the secure broker test proves, and the compose file gives every service and
 * node agent the credentials that script creates, under the keys KafkaSettings reads, on the ports the services
 * listen on.
 */
class ProductionStackFilesTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::\\?[^}]*)?}");

    @Test
    void theSetupScriptIsTheAclTable() throws Exception {
        assertThat(Files.readString(ROOT.resolve("infra/kafka/setup-acls.sh")))
                .as("infra/kafka/setup-acls.sh is generated: java -cp ... dev.sluice.infra.kafka.KafkaAccess infra/kafka/setup-acls.sh")
                .isEqualTo(KafkaAccess.shellScript());
        for (String script : List.of("setup-acls.sh", "broker-start.sh")) {
            Process p = new ProcessBuilder("bash", "-n", ROOT.resolve("infra/kafka/" + script).toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(script + ": " + out).isZero();
        }
    }

    @Test
    void everyServiceAndNodeAgentLogsInAsItsOwnPrincipal() throws Exception {
        Map<String, Object> services = map(compose().get("services"));
        Map<String, Object> setupEnv = map(map(services.get("kafka-setup")).get("environment"));
        List<String> nodes = Arrays.asList(setupEnv.get("SLUICE_NODES").toString().split(","));

        Map<String, String> principals = new java.util.LinkedHashMap<>();
        for (String s : KafkaAccess.SERVICES) {
            principals.put(s, s);
        }
        String node = env(services, "node-agent").get("SLUICE_NODE_NAME").toString();
        assertThat(nodes).contains(node);
        principals.put("node-agent", KafkaAccess.nodePrincipal(node));

        principals.forEach((service, principal) -> {
            Map<String, Object> env = env(services, service);
            assertThat(env.get("KAFKA_BOOTSTRAP_SERVERS")).as(service).isEqualTo("kafka:9092");
            assertThat(env.get(envName(KafkaSettings.USERNAME))).as(service).isEqualTo(principal);
            String passwordVar = variable(env.get(envName(KafkaSettings.PASSWORD)));
            // the same secret the set-up job gives this principal
            assertThat(passwordVar).as(service).isEqualTo("SLUICE_KAFKA_PASSWORD_"
                    + principal.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_'));
            assertThat(setupEnv.get(passwordVar)).as(service).isEqualTo(env.get(envName(KafkaSettings.PASSWORD)));

            Map<String, Object> security = KafkaSettings.security(key -> Optional.ofNullable(env.get(envName(key)))
                    .map(v -> VARIABLE.matcher(v.toString()).replaceAll("secret")));
            assertThat(security).as(service).containsEntry("security.protocol", "SASL_PLAINTEXT")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
            assertThat(security.get("sasl.jaas.config").toString()).contains("username=\"" + principal + "\"");

            assertThat(map(map(services.get(service)).get("depends_on")).get("kafka-setup")).as(service)
                    .isEqualTo(Map.of("condition", "service_completed_successfully"));
        });
        assertThat(env(services, "scheduler")).containsKey(envName(NodeEventSignature.MASTER_KEY_CONFIG));
        assertThat(env(services, "node-agent")).containsKey(envName(NodeEventSignature.NODE_KEY_CONFIG));
    }

    @Test
    void servicesArePublishedOnThePortsTheyListenOn() throws Exception {
        Map<String, Object> services = map(compose().get("services"));
        for (String service : List.of("submit", "scheduler", "accounting", "identity")) {
            Properties app = new Properties();
            app.load(new StringReader(Files.readString(
                    ROOT.resolve("services/" + service + "/src/main/resources/application.properties"))));
            @SuppressWarnings("unchecked")
            List<Object> ports = (List<Object>) map(services.get(service)).get("ports");
            assertThat(ports).as(service).hasSize(1);
            assertThat(ports.getFirst().toString().split(":")[1]).as(service)
                    .isEqualTo(app.getProperty("quarkus.http.port"));
        }
    }

    @Test
    void theBrokerAuthenticatesAndAuthorizesAndIsNotPublished() throws Exception {
        Map<String, Object> services = map(compose().get("services"));
        Map<String, Object> kafka = map(services.get("kafka"));
        assertThat(kafka).doesNotContainKey("ports");
        assertThat(kafka.get("command").toString()).contains("/etc/sluice-kafka/broker-start.sh");
        assertThat(kafka.get("volumes").toString()).contains("./kafka:/etc/sluice-kafka:ro");

        Properties broker = new Properties();
        broker.load(new StringReader(Files.readString(ROOT.resolve("infra/kafka/server.properties.template"))));
        assertThat(broker.getProperty("listeners")).isEqualTo("SASL_PLAINTEXT://:9092,CONTROLLER://:9093");
        assertThat(broker.getProperty("authorizer.class.name"))
                .isEqualTo("org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        assertThat(broker.getProperty("super.users")).isEqualTo("User:" + KafkaAccess.ADMIN);
        assertThat(broker.getProperty("allow.everyone.if.no.acl.found")).isEqualTo("false");
        assertThat(broker.getProperty("sasl.enabled.mechanisms")).isEqualTo(SecureBroker.MECHANISM);

        // the identity engineer's realm and directory keep their names
        assertThat(services).containsKeys("keycloak", "openldap", "postgres");
    }

    @Test
    void everySecretTheStackNeedsIsInTheExampleFile() throws Exception {
        String composeText = Files.readString(ROOT.resolve("infra/docker-compose.yml"));
        String example = Files.readString(ROOT.resolve("infra/kafka/credentials.env.example"));
        Matcher m = VARIABLE.matcher(composeText);
        int seen = 0;
        while (m.find()) {
            if (m.group(1).startsWith("SLUICE_KAFKA_") || m.group(1).startsWith("SLUICE_NODE_SIGNING_")) {
                assertThat(example).contains("\n" + m.group(1) + "=");
                seen++;
            }
        }
        assertThat(seen).isGreaterThanOrEqualTo(KafkaAccess.SERVICES.size() + 3);
    }

    static String envName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    static String variable(Object value) {
        Matcher m = VARIABLE.matcher(String.valueOf(value));
        assertThat(m.matches()).as(value + " is a ${VARIABLE:?...} reference").isTrue();
        return m.group(1);
    }

    static Map<String, Object> env(Map<String, Object> services, String service) {
        assertThat(services).containsKey(service);
        return map(map(services.get(service)).get("environment"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    /**
     * The compose file through SnakeYAML (merge keys included), which is on this module's test runtime classpath
     * with the broker's jars but not on its compile classpath; hence reflection rather than a new dependency.
     */
    static Map<String, Object> compose() throws Exception {
        Class<?> yaml = Class.forName("org.yaml.snakeyaml.Yaml");
        Object parser = yaml.getConstructor().newInstance();
        Object doc = yaml.getMethod("load", String.class)
                .invoke(parser, Files.readString(ROOT.resolve("infra/docker-compose.yml")));
        return map(doc);
    }
}
