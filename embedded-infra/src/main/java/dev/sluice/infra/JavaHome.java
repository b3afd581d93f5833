package dev.sluice.infra;

import java.nio.file.Files;
import java.nio.file.Path;

/** The java executable of the running JVM, so that child JVMs use the same JDK 25. */
public final class JavaHome {
    private JavaHome() {
    }

    public static String javaExecutable() {
        Path p = Path.of(System.getProperty("java.home"), "bin", "java");
        return Files.isExecutable(p) ? p.toString() : "java";
    }
}
