package dev.sluice.runner;

import java.nio.file.Path;

/** Where everything lives in the one data folder, so that down and up keep jobs and accounting. */
public record Layout(Path data) {
    public Path kafka() {
        return data.resolve("kafka");
    }

    public Path postgres() {
        return data.resolve("postgres");
    }

    public Path logs() {
        return data.resolve("logs");
    }

    public Path log(String component) {
        return logs().resolve(component + ".log");
    }

    public Path nodeState(String node) {
        return data.resolve("nodes").resolve(node);
    }

    public Path clusterConfig() {
        return data.resolve("sluice.conf");
    }

    /** Read by the CLI (see cli's Endpoints) and by anyone scripting against the local stack. */
    public Path endpoints() {
        return data.resolve("endpoints.properties");
    }

    public Path run() {
        return data.resolve("run");
    }

    public Path supervisorPid() {
        return run().resolve("supervisor.pid");
    }

    public Path state() {
        return run().resolve("state.properties");
    }

    /** Present while {@code ./sluice kill <component>} keeps that component down; {@code ./sluice start} removes it. */
    public Path held(String component) {
        return run().resolve("held-" + component);
    }

    public Path progress() {
        return run().resolve("progress");
    }
}
