package dev.sluice.cli.common;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.Map;

/**
 * Everything a command reads from its surroundings, passed in so that tests can run a command in-process with
 * their own streams, environment, clock and time zone.
 */
public record Context(InputStream in, PrintStream out, PrintStream err, Map<String, String> env, Path cwd, Identity identity,
                      Endpoints endpoints, Clock clock, ZoneId zone) {

    public static Context system() {
        Map<String, String> env = System.getenv();
        return new Context(System.in, System.out, System.err, env, Path.of("").toAbsolutePath(), Identity.current(),
                Endpoints.resolve(env, System.getProperty("sluice.home.default")), Clock.systemUTC(),
                ZoneId.systemDefault());
    }
}
