package dev.sluice.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.CodeSource;
import java.util.HexFormat;
import java.util.Optional;

/** Finds the sluice-stepd executable. */
public final class LauncherBinary {

    /** System property naming the binary explicitly. */
    public static final String BINARY_PROPERTY = "sluice.launcher.binary";
    /** Environment variable naming the binary explicitly (used when the property is absent). */
    public static final String BINARY_ENV = "SLUICE_STEPD";
    /** System property for the directory the bundled binary is extracted to. */
    public static final String CACHE_DIR_PROPERTY = "sluice.launcher.cache-dir";
    /** Where the jar carries the binary built for this OS and architecture. */
    public static final String RESOURCE =
            "dev/sluice/launcher/native/linux-" + System.getProperty("os.arch") + "/sluice-stepd";

    private LauncherBinary() {
    }

    /**
     * The binary to use: the explicit path ({@value #BINARY_PROPERTY} or ${@value #BINARY_ENV}), else the one this
     * module's build left in target/native, else the copy inside the jar extracted to a cache directory.
     */
    public static Path locate() {
        String explicit = System.getProperty(BINARY_PROPERTY, System.getenv(BINARY_ENV));
        if (explicit != null && !explicit.isBlank()) {
            Path path = Path.of(explicit);
            if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
                throw new IllegalStateException("sluice-stepd given as " + explicit + " is not an executable file");
            }
            return path;
        }
        return fromBuild().orElseGet(() -> extract(defaultCacheDir()));
    }

    /** launcher/target/native/sluice-stepd when these classes come from the module's target/classes or target/*.jar. */
    public static Optional<Path> fromBuild() {
        try {
            CodeSource source = LauncherBinary.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            Path location = Path.of(source.getLocation().toURI());
            Path target = location.getParent();
            if (target == null || !target.getFileName().toString().equals("target")) {
                return Optional.empty();
            }
            Path binary = target.resolve("native/sluice-stepd");
            return Files.isExecutable(binary) ? Optional.of(binary) : Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }

    /**
     * Copies the bundled binary to {@code cacheDir/<content hash>/sluice-stepd} with mode 0755 and returns it. The hash
     * in the path keeps different launcher versions apart; the copy is written under a temporary name and moved into
     * place so that concurrent callers never run a half-written file.
     */
    public static Path extract(Path cacheDir) {
        byte[] bytes;
        try (InputStream in = LauncherBinary.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("sluice-stepd for linux-" + System.getProperty("os.arch")
                        + " is not bundled (resource " + RESOURCE + "); set -D" + BINARY_PROPERTY);
            }
            bytes = in.readAllBytes();
            Path dir = cacheDir.resolve(HexFormat.of().formatHex(sha256(bytes), 0, 8));
            Path binary = dir.resolve("sluice-stepd");
            if (Files.isExecutable(binary) && Files.size(binary) == bytes.length) {
                return binary;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "sluice-stepd", ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.move(tmp, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return binary;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract sluice-stepd to " + cacheDir, e);
        }
    }

    static Path defaultCacheDir() {
        String configured = System.getProperty(CACHE_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("sluice").resolve("launcher");
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
