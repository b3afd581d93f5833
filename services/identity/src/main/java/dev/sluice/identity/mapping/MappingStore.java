package dev.sluice.identity.mapping;

import dev.sluice.identity.IdentityConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Where the mapping lives. With {@code sluice.identity.mapping.file} set, the file is the mapping: it is read at
 * every sync (an administrator may edit it by hand) and {@code PUT} rewrites it. Without a file the mapping is
 * held in memory and is empty after a restart.
 */
@ApplicationScoped
public class MappingStore {
    @Inject
    IdentityConfig config;

    private volatile AccountMapping inMemory = AccountMapping.empty();

    /** @throws IllegalArgumentException when the file cannot be read or parsed */
    public AccountMapping current() {
        var file = config.mapping().file();
        if (file.isEmpty()) {
            return inMemory;
        }
        Path p = Path.of(file.get());
        try {
            return MappingFormat.parse(Files.readString(p, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("mapping file " + p + " does not exist", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("mapping file " + p + " cannot be read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mapping file " + p + ": " + e.getMessage(), e);
        }
    }

    /** @return the mapping's problems; when there are any, nothing was stored */
    public List<String> replace(AccountMapping mapping) {
        List<String> problems = mapping.problems();
        if (!problems.isEmpty()) {
            return problems;
        }
        var file = config.mapping().file();
        if (file.isEmpty()) {
            inMemory = mapping;
            return List.of();
        }
        Path p = Path.of(file.get()).toAbsolutePath();
        try {
            Path tmp = Files.createTempFile(p.getParent(), ".mapping", ".tmp");
            Files.writeString(tmp, MappingFormat.write(mapping), StandardCharsets.UTF_8);
            // a sync reading the file meanwhile sees the old or the new mapping, never half of one
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write mapping file " + p, e);
        }
        return List.of();
    }
}
