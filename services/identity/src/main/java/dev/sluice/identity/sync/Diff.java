package dev.sluice.identity.sync;

import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.contracts.identity.GroupRemoved;
import dev.sluice.contracts.identity.UserRemoved;
import dev.sluice.identity.state.GroupState;
import dev.sluice.identity.state.IdentityState;
import dev.sluice.identity.state.UserState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The changes that turn what identity last published into what the directory says. Groups come before users so
 * that a consumer meeting a user's group list already knows the groups; removals come last.
 */
public final class Diff {
    private Diff() {
    }

    public static List<Change> between(IdentityState published, IdentityState desired, Instant time) {
        List<Change> out = new ArrayList<>();
        desired.groups().forEach((name, want) -> {
            GroupState have = published.groups().get(name);
            if (have == null) {
                out.add(new Change(Change.Kind.ADD, "group:" + name, "add group " + name + " (gid " + want.gid()
                        + ", members " + list(want.members()) + ")", want.toEvent(time)));
            } else if (!have.equals(want)) {
                List<String> what = new ArrayList<>();
                field(what, "gid", have.gid(), want.gid());
                field(what, "members", list(have.members()), list(want.members()));
                out.add(new Change(Change.Kind.UPDATE, "group:" + name, "update group " + name + ": "
                        + String.join("; ", what), want.toEvent(time)));
            }
        });
        desired.users().forEach((name, want) -> {
            UserState have = published.users().get(name);
            if (have == null) {
                out.add(new Change(Change.Kind.ADD, "user:" + name, "add user " + name + " (uid " + want.uid()
                        + ", gid " + want.gid() + ", groups " + list(want.groups()) + ", accounts "
                        + accounts(want.accounts()) + ")", want.toEvent(time)));
            } else if (!have.equals(want)) {
                List<String> what = new ArrayList<>();
                field(what, "uid", have.uid(), want.uid());
                field(what, "gid", have.gid(), want.gid());
                field(what, "groups", list(have.groups()), list(want.groups()));
                field(what, "accounts", accounts(have.accounts()), accounts(want.accounts()));
                field(what, "name", have.displayName(), want.displayName());
                field(what, "mail", have.email(), want.email());
                field(what, "shell", have.loginShell(), want.loginShell());
                out.add(new Change(Change.Kind.UPDATE, "user:" + name, "update user " + name + ": "
                        + String.join("; ", what), want.toEvent(time)));
            }
        });
        for (String name : published.users().keySet()) {
            if (!desired.users().containsKey(name)) {
                out.add(new Change(Change.Kind.REMOVE, "user:" + name, "remove user " + name,
                        new UserRemoved(name, time)));
            }
        }
        for (String name : published.groups().keySet()) {
            if (!desired.groups().containsKey(name)) {
                out.add(new Change(Change.Kind.REMOVE, "group:" + name, "remove group " + name,
                        new GroupRemoved(name, time)));
            }
        }
        return out;
    }

    private static void field(List<String> what, String name, Object was, Object is) {
        if (!Objects.equals(was, is)) {
            what.add(name + " " + (was == null ? "(none)" : was) + " -> " + (is == null ? "(none)" : is));
        }
    }

    private static String list(List<String> names) {
        return names.isEmpty() ? "(none)" : String.join(",", names);
    }

    /** {@code ai_project[partition=gpu,qos=normal,shares=100]}: every field, so a shares-only change shows. */
    static String accounts(List<AccountAssociation> accounts) {
        if (accounts.isEmpty()) {
            return "(none)";
        }
        List<String> out = new ArrayList<>();
        for (AccountAssociation a : accounts) {
            List<String> f = new ArrayList<>();
            if (a.partition() != null) {
                f.add("partition=" + a.partition());
            }
            if (a.qos() != null) {
                f.add("qos=" + a.qos());
            }
            f.add("shares=" + a.shares());
            out.add(a.account() + "[" + String.join(",", f) + "]");
        }
        return String.join(",", out);
    }
}
