package dev.sluice.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
    @Test
    void aCommandIsFoundByItsPackageAndClassName() throws Exception {
        try (Harness h = new Harness()) {
            Harness.Result r = h.run("echotest", "a", "b");
            assertEquals(7, r.rc());
            assertEquals("echotest a b\n", r.out());
        }
    }

    @Test
    void anUnknownCommandIsNamed() throws Exception {
        try (Harness h = new Harness()) {
            for (String name : new String[]{"nosuch", "../x", "Main"}) {
                Harness.Result r = h.run(name);
                assertEquals(2, r.rc());
                assertTrue(r.err().contains("unknown command " + name), r.err());
            }
        }
    }
}
