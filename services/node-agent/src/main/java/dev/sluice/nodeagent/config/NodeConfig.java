package dev.sluice.nodeagent.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * How this agent presents its node. Every value has a default discovered from the host, so one agent per host
 * needs no configuration; several agents on one host differ in name, cpus, state dir and HTTP port.
 */
@ConfigMapping(prefix = "sluice.node")
public interface NodeConfig {
    /** Node name; default: the short host name. */
    Optional<String> name();

    /** CPU ids this node owns, as in {@code 0-3} or {@code 0,2}; default: every online CPU of the host. */
    Optional<String> cpus();

    /** Memory this node offers; default: MemTotal of the host. */
    Optional<Long> memoryMb();

    /** Where job directories live; default: {@code /tmp/sluice-node-<name>}. */
    Optional<String> stateDir();

    @WithDefault("5s")
    Duration heartbeatInterval();

    /** Time between SIGTERM and SIGKILL when a time limit is reached (scancel brings its own). */
    @WithDefault("30s")
    Duration killWait();

    /** How often running jobs are sampled for usage and checked for their end. */
    @WithDefault("500ms")
    Duration monitorInterval();
}
