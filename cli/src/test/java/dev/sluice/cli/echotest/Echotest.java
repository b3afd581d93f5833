package dev.sluice.cli.echotest;

import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;

import java.util.List;

/** A command found by naming convention only: proves that new commands need no edit of Main. */
public final class Echotest {
    private Echotest() {
    }

    public static int run(Context ctx, List<String> args, Api api) {
        ctx.out().println("echotest " + String.join(" ", args));
        return 7;
    }
}
