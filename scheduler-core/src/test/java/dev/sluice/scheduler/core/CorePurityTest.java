package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The core must stay plain Java so the simulator can run it in virtual time: no framework, Kafka, SQL or JSON. */
class CorePurityTest {
    private static final Pattern FORBIDDEN = Pattern.compile(
            "^\\s*import\\s+(static\\s+)?(io\\.quarkus|org\\.apache\\.kafka|java\\.sql|javax\\.sql|com\\.fasterxml"
                    + "|jakarta|javax\\.inject|io\\.smallrye|io\\.vertx|org\\.hibernate|dev\\.sluice\\.contracts)\\b.*",
            Pattern.MULTILINE);

    @Test
    void coreSourcesImportNoFrameworkKafkaSqlOrJackson() throws IOException {
        Path root = Path.of("src/main/java/dev/sluice/scheduler/core");
        List<String> offences = new ArrayList<>();
        int files = 0;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(f -> f.toString().endsWith(".java")).toList()) {
                files++;
                var m = FORBIDDEN.matcher(Files.readString(p));
                while (m.find()) {
                    offences.add(root.relativize(p) + ": " + m.group().trim());
                }
            }
        }
        assertThat(files).as("sources scanned").isGreaterThan(5);
        assertThat(offences).isEmpty();
    }

    @Test
    void thePatternCatchesAForbiddenImport() {
        assertThat(FORBIDDEN.matcher("import org.apache.kafka.clients.producer.KafkaProducer;").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import jakarta.inject.Inject;").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import java.time.Clock;").find()).isFalse();
    }
}
