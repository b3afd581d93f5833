package dev.sluice.nodeagent.discovery;

import dev.sluice.scheduler.core.config.Hostlist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The GPUs of a node: from the configuration when it names them (Slurm's gres.conf in three keys), else from
 * {@code nvidia-smi} when the host has one, else none.
 *
 * @param type the GPU model as Slurm's typed GRES writes it ({@code h100}), or null when untyped
 */
public record Gpus(String type, List<Gpu> gpus, String source) {

    /** One GPU: its index on the node (what allocations name), its device file, and the CPUs closest to it. */
    public record Gpu(int index, Path device, List<Integer> cores) {
    }

    public static final Gpus NONE = new Gpus(null, List.of(), "none");

    public Gpus {
        gpus = List.copyOf(gpus);
    }

    /** As NodeRegistered.gres and sbatch --gres write it: {@code gpu:h100:4}, or nothing without GPUs. */
    public List<String> gres() {
        if (gpus.isEmpty()) {
            return List.of();
        }
        return List.of(type == null ? "gpu:" + gpus.size() : "gpu:" + type + ":" + gpus.size());
    }

    public Optional<Gpu> byIndex(int index) {
        return gpus.stream().filter(g -> g.index() == index).findFirst();
    }

    /**
     * @param gres  {@code gpu:h100:4} or {@code gpu:4}
     * @param files the device files in index order: a list ({@code /dev/nvidia0,/dev/nvidia1}) or a bracket range
     *              ({@code /dev/nvidia[0-3]}); required with {@code gres}
     * @param cores the CPUs near all of them ({@code 0-7}), optional
     */
    public static Gpus discover(Optional<String> gres, Optional<String> files, Optional<String> cores,
                                String nvidiaSmi) {
        if (gres.isPresent() && !gres.get().isBlank()) {
            return configured(gres.get().trim(), files.orElseThrow(() -> new IllegalArgumentException(
                    "sluice.node.gres needs sluice.node.gres-files (the GPUs' device files)")), cores);
        }
        return fromNvidiaSmi(nvidiaSmi).orElse(NONE);
    }

    static Gpus configured(String gres, String files, Optional<String> cores) {
        String[] parts = gres.split(":");
        if (!parts[0].equals("gpu") || parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("sluice.node.gres must look like gpu:h100:4 or gpu:4, not " + gres);
        }
        int count;
        try {
            count = Integer.parseInt(parts[parts.length - 1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sluice.node.gres must end in a GPU count: " + gres);
        }
        List<Path> devices = new ArrayList<>();
        for (String f : files.split(",")) {
            if (!f.isBlank()) {
                Hostlist.expand(f.trim()).forEach(p -> devices.add(Path.of(p)));
            }
        }
        if (devices.size() != count) {
            throw new IllegalArgumentException("sluice.node.gres says " + count + " GPUs but sluice.node.gres-files names "
                    + devices.size() + " device files: " + files);
        }
        List<Integer> near = cores.filter(c -> !c.isBlank()).map(CpuList::parse).orElse(List.of());
        List<Gpu> gpus = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            gpus.add(new Gpu(i, devices.get(i), near));
        }
        return new Gpus(parts.length == 3 ? parts[1] : null, gpus, "config");
    }

    static Optional<Gpus> fromNvidiaSmi(String nvidiaSmi) {
        try {
            Process p = new ProcessBuilder(nvidiaSmi, "--query-gpu=index,name,minor_number",
                    "--format=csv,noheader").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return Optional.of(parseNvidiaSmi(out)).filter(g -> !g.gpus().isEmpty());
        } catch (IOException e) {
            return Optional.empty(); // no nvidia-smi on this host
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Lines of {@code index, name, minor_number}, e.g. {@code 0, NVIDIA H100 80GB HBM3, 0}. */
    static Gpus parseNvidiaSmi(String csv) {
        List<Gpu> gpus = new ArrayList<>();
        String type = null;
        for (String line : csv.lines().map(String::trim).filter(l -> !l.isEmpty()).toList()) {
            String[] f = line.split("\\s*,\\s*");
            if (f.length < 3) {
                continue;
            }
            int index = Integer.parseInt(f[0]);
            int minor = Integer.parseInt(f[2]);
            type = type == null ? model(f[1]) : type;
            gpus.add(new Gpu(index, Path.of("/dev/nvidia" + minor), List.of()));
        }
        return new Gpus(type, gpus, "nvidia-smi");
    }

    /** "NVIDIA H100 80GB HBM3" is h100, "Tesla V100-SXM2-16GB" v100: the first word that is not a brand. */
    static String model(String name) {
        for (String word : name.toLowerCase(Locale.ROOT).split("[\\s-]+")) {
            if (!word.isEmpty() && !List.of("nvidia", "tesla", "geforce", "quadro", "rtx").contains(word)) {
                return word.replaceAll("[^a-z0-9_.]", "");
            }
        }
        return null;
    }
}
