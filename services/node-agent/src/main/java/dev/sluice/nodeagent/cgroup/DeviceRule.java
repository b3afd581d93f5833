package dev.sluice.nodeagent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A device file as the devices controller names it: {@code c 195:1}. */
final class DeviceRule {
    private DeviceRule() {
    }

    static String of(Path device) throws IOException {
        Object rdev;
        int type;
        try {
            rdev = Files.getAttribute(device, "unix:rdev");
            type = ((Number) Files.getAttribute(device, "unix:mode")).intValue() & 0170000;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new IOException("cannot read the device numbers of " + device + ": " + e.getMessage(), e);
        }
        long dev = ((Number) rdev).longValue();
        if (type != 0020000 && type != 0060000) {
            throw new IOException(device + " is not a device file");
        }
        // glibc's gnu_dev_major/minor encoding
        long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
        return (type == 0020000 ? "c " : "b ") + major + ":" + minor;
    }
}
