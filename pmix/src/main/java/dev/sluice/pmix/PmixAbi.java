package dev.sluice.pmix;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The struct layouts and constants of OpenPMIx 4.x that the FFM binding uses. The build compiles
 * {@code src/main/c/pmix-abi.c} against the installed headers and records what it prints as
 * {@code pmix-abi.properties}; {@link #verify()} compares every constant here with that record, so a libpmix whose
 * ABI differs fails with a clear message at start instead of corrupting memory.
 */
public final class PmixAbi {

    public static final int PROC_SIZE = 260;
    public static final int PROC_RANK_OFFSET = 256;
    public static final int NSPACE_MAX = 255;
    public static final int INFO_SIZE = 552;
    public static final int DATA_ARRAY_SIZE = 24;
    public static final int DATA_ARRAY_SIZE_OFFSET = 8;
    public static final int DATA_ARRAY_ARRAY_OFFSET = 16;
    public static final int MODULE_SIZE = 224;
    public static final int MODULE_CLIENT_CONNECTED = 0;
    public static final int MODULE_CLIENT_FINALIZED = 8;
    public static final int MODULE_ABORT = 16;
    public static final int MODULE_FENCE_NB = 24;
    public static final int MODULE_DIRECT_MODEX = 32;

    public static final short TYPE_BOOL = 1;
    public static final short TYPE_STRING = 3;
    public static final short TYPE_UINT16 = 13;
    public static final short TYPE_UINT32 = 14;
    public static final short TYPE_PROC_RANK = 40;

    public static final int SUCCESS = 0;
    public static final int ERROR = -1;
    public static final int ERR_NOT_FOUND = -46;
    public static final int ERR_UNREACH = -25;
    public static final int OPERATION_SUCCEEDED = -157;
    public static final int RANK_WILDCARD = -2; // UINT32_MAX - 1 as a Java int

    static final String RESOURCE = "pmix-abi.properties";

    private PmixAbi() {
    }

    static Map<String, Long> expected() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("sizeof.pmix_proc_t", (long) PROC_SIZE);
        m.put("offsetof.pmix_proc_t.rank", (long) PROC_RANK_OFFSET);
        m.put("sizeof.pmix_info_t", (long) INFO_SIZE);
        m.put("sizeof.pmix_data_array_t", (long) DATA_ARRAY_SIZE);
        m.put("offsetof.pmix_data_array_t.size", (long) DATA_ARRAY_SIZE_OFFSET);
        m.put("offsetof.pmix_data_array_t.array", (long) DATA_ARRAY_ARRAY_OFFSET);
        m.put("sizeof.pmix_server_module_t", (long) MODULE_SIZE);
        m.put("offsetof.module.client_connected", (long) MODULE_CLIENT_CONNECTED);
        m.put("offsetof.module.client_finalized", (long) MODULE_CLIENT_FINALIZED);
        m.put("offsetof.module.abort", (long) MODULE_ABORT);
        m.put("offsetof.module.fence_nb", (long) MODULE_FENCE_NB);
        m.put("offsetof.module.direct_modex", (long) MODULE_DIRECT_MODEX);
        m.put("sizeof.pmix_status_t", 4L);
        m.put("sizeof.pmix_rank_t", 4L);
        m.put("sizeof.pmix_data_type_t", 2L);
        m.put("sizeof.uid_t", 4L);
        m.put("type.BOOL", (long) TYPE_BOOL);
        m.put("type.STRING", (long) TYPE_STRING);
        m.put("type.UINT16", (long) TYPE_UINT16);
        m.put("type.UINT32", (long) TYPE_UINT32);
        m.put("type.PROC_RANK", (long) TYPE_PROC_RANK);
        m.put("status.SUCCESS", (long) SUCCESS);
        m.put("status.ERROR", (long) ERROR);
        m.put("status.ERR_NOT_FOUND", (long) ERR_NOT_FOUND);
        m.put("status.ERR_UNREACH", (long) ERR_UNREACH);
        m.put("status.OPERATION_SUCCEEDED", (long) OPERATION_SUCCEEDED);
        m.put("rank.WILDCARD", Integer.toUnsignedLong(RANK_WILDCARD));
        m.put("nslen", (long) NSPACE_MAX);
        return m;
    }

    /** Throws {@link IllegalStateException} naming every mismatch, or the missing record, before any native call. */
    public static void verify() {
        Properties probed = new Properties();
        try (InputStream in = PmixAbi.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the PMIx ABI was not probed at build time (" + RESOURCE
                        + " is missing): install libpmix-dev and gcc, then rebuild sluice-pmix");
            }
            probed.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE, e);
        }
        if (probed.isEmpty()) {
            throw new IllegalStateException("the PMIx ABI probe printed nothing (is libpmix-dev installed?): rebuild sluice-pmix");
        }
        StringBuilder wrong = new StringBuilder();
        expected().forEach((key, value) -> {
            String actual = probed.getProperty(key);
            if (actual == null || Long.parseLong(actual.trim()) != value) {
                wrong.append(' ').append(key).append(": headers say ").append(actual).append(", binding uses ").append(value).append(';');
            }
        });
        if (!wrong.isEmpty()) {
            throw new IllegalStateException("the installed PMIx headers do not match this binding:" + wrong);
        }
    }
}
