package dev.sluice.scheduler.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A node's {@code Gres=} value: {@code gpu:8}, {@code gpu:h100:8}, or per socket
 * {@code gpu:h100:4(S:0),gpu:h100:4(S:1)}. GPU indices follow the order written. Other GRES names are ignored.
 */
final class Gres {
    private Gres() {
    }

    static ResourcePool.Gpu[] parse(String value) {
        if (value == null || value.isBlank() || value.equalsIgnoreCase("(null)")) {
            return new ResourcePool.Gpu[0];
        }
        List<ResourcePool.Gpu> out = new ArrayList<>();
        for (String part : value.split(",(?![^(]*\\))")) {
            String p = part.trim();
            int socket = -1;
            int paren = p.indexOf('(');
            if (paren >= 0) {
                String inner = p.substring(paren + 1, p.indexOf(')', paren)).trim();
                if (inner.toUpperCase(Locale.ROOT).startsWith("S:")) {
                    String s = inner.substring(2).split("[-,]")[0];
                    socket = Integer.parseInt(s.trim());
                }
                p = p.substring(0, paren);
            }
            String[] f = p.split(":");
            if (!f[0].equalsIgnoreCase("gpu")) {
                continue;
            }
            String type = f.length == 3 ? f[1] : null;
            int count = Integer.parseInt(f[f.length - 1].trim());
            for (int i = 0; i < count; i++) {
                out.add(new ResourcePool.Gpu(type, socket));
            }
        }
        return out.toArray(new ResourcePool.Gpu[0]);
    }
}
