package dev.sluice.cli.sbatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.Harness;
import dev.sluice.cli.common.Api;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SbatchTest {
    static final String SCRIPT = """
            #!/bin/bash
            #SBATCH --job-name=hello_world
            #SBATCH --time=00:05:00
            echo "Running in cpu partition"
            """;

    @TempDir
    Path dir;
    Harness h;

    @BeforeEach
    void start() throws IOException {
        h = new Harness().answer(201, "{\"jobId\": 42, \"message\": \"Submitted batch job 42\"}");
        h.cwd = dir;
        Files.writeString(dir.resolve("job.sh"), SCRIPT);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void postsScriptOptionsWorkDirEnvironmentAndOwner() throws IOException {
        Harness.Result r = h.run("sbatch", "-p", "cpu", "--mem=1G", "job.sh", "first", "--second");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("Submitted batch job 42\n");
        assertThat(r.rc()).isZero();
        List<Harness.Request> reqs = h.requestList();
        assertThat(reqs).hasSize(1);
        assertThat(reqs.getFirst().method()).isEqualTo("POST");
        assertThat(reqs.getFirst().pathAndQuery()).isEqualTo("/api/v1/jobs");
        JsonNode body = Api.JSON.readTree(reqs.getFirst().body());
        assertThat(body.get("script").asText()).isEqualTo(SCRIPT);
        assertThat(body.get("scriptName").asText()).isEqualTo("job.sh");
        assertThat(body.get("args")).extracting(JsonNode::asText).containsExactly("-p", "cpu", "--mem=1G");
        assertThat(body.get("scriptArgs")).extracting(JsonNode::asText).containsExactly("first", "--second");
        assertThat(body.get("workDir").asText()).isEqualTo(dir.toString());
        assertThat(body.get("env").get("HOME").asText()).isEqualTo("/home/alice");
        assertThat(body.get("user").asText()).isEqualTo("alice");
        assertThat(body.get("uid").asLong()).isEqualTo(1000);
        assertThat(body.get("gid").asLong()).isEqualTo(1000);
    }

    @Test
    void parsablePrintsOnlyTheIdFromCommandLineOrScript() throws IOException {
        assertThat(h.run("sbatch", "--parsable", "job.sh").out()).isEqualTo("42\n");
        Files.writeString(dir.resolve("p.sh"), "#!/bin/sh\n#SBATCH --parsable\nhostname\n");
        assertThat(h.run("sbatch", "p.sh").out()).isEqualTo("42\n");
    }

    @Test
    void scriptFromStandardInput() throws IOException {
        h.stdin = "#!/bin/sh\nhostname\n";
        Harness.Result r = h.run("sbatch", "-J", "fromstdin");
        assertThat(r.out()).isEqualTo("Submitted batch job 42\n");
        JsonNode body = Api.JSON.readTree(h.requestList().getFirst().body());
        assertThat(body.get("script").asText()).isEqualTo("#!/bin/sh\nhostname\n");
        assertThat(body.get("args")).extracting(JsonNode::asText).containsExactly("-J", "fromstdin");
        assertThat(body.has("scriptArgs")).isFalse();
        assertThat(body.has("scriptName")).isFalse();
    }

    @Test
    void wrapLeavesTheScriptToTheService() throws IOException {
        Harness.Result r = h.run("sbatch", "--wrap", "hostname");
        assertThat(r.out()).isEqualTo("Submitted batch job 42\n");
        JsonNode body = Api.JSON.readTree(h.requestList().getFirst().body());
        assertThat(body.get("script").asText()).isEmpty();
        assertThat(body.get("args")).extracting(JsonNode::asText).containsExactly("--wrap", "hostname");
    }

    @Test
    void localProblemsAreReportedWithoutContactingTheService() {
        Harness.Result r = h.run("sbatch", "missing.sh");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("sbatch: error: Unable to open file missing.sh\n");
        h.stdin = "echo no shebang\n";
        r = h.run("sbatch");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("sbatch: error: This does not look like a batch script.");
        r = h.run("sbatch", "--no-such-option", "job.sh");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("sbatch: error: ");
        assertThat(h.requestList()).isEmpty();
    }

    @Test
    void serviceErrorsAndAnAbsentServiceExitOne() throws IOException {
        h.answer(400, "{\"error\": \"Batch job submission failed: Invalid account or account/partition combination specified\"}");
        Harness.Result r = h.run("sbatch", "job.sh");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(
                "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n");
        r = h.run(Harness.nobodyListening(), "sbatch", "job.sh");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(
                "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n");
    }
}
