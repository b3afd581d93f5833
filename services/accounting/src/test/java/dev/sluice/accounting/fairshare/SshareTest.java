package dev.sluice.accounting.fairshare;

import dev.sluice.accounting.admin.AdminState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * sshare's figures for a small tree, worked out by hand from Slurm's documented formulas (fair_tree.html,
 * priority_multifactor.html), and usage decay against Slurm's step-wise decay process.
 *
 * <pre>
 * root ── acctA (40 shares) ── u1 (1, usage 300), u2 (1, usage 100)
 *      └─ acctB (60 shares) ── u3 (1, usage 500)
 * </pre>
 */
class SshareTest {
    static AdminState state() {
        AdminState s = new AdminState();
        s.bootstrap("c");
        assoc(s, "acctA", "", "root", 40);
        assoc(s, "acctB", "", "root", 60);
        assoc(s, "acctA", "u1", "acctA", 1);
        assoc(s, "acctA", "u2", "acctA", 1);
        assoc(s, "acctB", "u3", "acctB", 1);
        return s;
    }

    static void assoc(AdminState s, String account, String user, String parent, int shares) {
        var k = new AdminState.AssocKey("c", account, user, "");
        s.assocs.put(k, new AdminState.Assoc(k, parent, shares, Map.of(), List.of("normal"), null));
    }

    static final Map<String, Double> USAGE = Map.of(Sshare.key("acctA", "u1"), 300.0,
            Sshare.key("acctA", "u2"), 100.0, Sshare.key("acctB", "u3"), 500.0);

    static Sshare.Line line(List<Sshare.Line> lines, String account, String user) {
        return lines.stream().filter(l -> l.account().equals(account) && l.user().equals(user)).findFirst()
                .orElseThrow();
    }

    @Test
    void fairTreeLevelsAndRanks() {
        List<Sshare.Line> lines = Sshare.lines(Sshare.tree(state(), "c", USAGE), true);
        assertThat(lines).extracting(l -> l.account() + "/" + l.user() + "/" + l.level())
                .containsExactly("root//0", "acctA//1", "acctA/u1/2", "acctA/u2/2", "acctB//1", "acctB/u3/2");
        assertThat(line(lines, "root", "").rawUsage()).isEqualTo(900);
        // acctA: S = 40/100, U = 400/900, LevelFS = S/U = 0.9; acctB: 0.6 / (500/900) = 1.08
        var a = line(lines, "acctA", "");
        assertThat(a.rawShares()).isEqualTo(40);
        assertThat(a.normShares()).isCloseTo(0.4, within(1e-9));
        assertThat(a.rawUsage()).isEqualTo(400);
        assertThat(a.effectvUsage()).isCloseTo(0.444444, within(1e-6));
        assertThat(a.levelFs()).isCloseTo(0.9, within(1e-9));
        assertThat(a.fairShare()).isNull();
        assertThat(line(lines, "acctB", "").levelFs()).isCloseTo(1.08, within(1e-9));
        // inside acctA: u1 0.5/(300/400) = 0.666667, u2 0.5/(100/400) = 2
        assertThat(line(lines, "acctA", "u1").levelFs()).isCloseTo(0.666667, within(1e-6));
        assertThat(line(lines, "acctA", "u2").levelFs()).isCloseTo(2.0, within(1e-9));
        assertThat(line(lines, "acctA", "u2").effectvUsage()).isCloseTo(0.25, within(1e-9));
        // ranking walks acctB (higher LevelFS) first, then acctA's u2 before u1: factors 3/3, 2/3, 1/3
        assertThat(line(lines, "acctB", "u3").fairShare()).isCloseTo(1.0, within(1e-9));
        assertThat(line(lines, "acctA", "u2").fairShare()).isCloseTo(2.0 / 3, within(1e-9));
        assertThat(line(lines, "acctA", "u1").fairShare()).isCloseTo(1.0 / 3, within(1e-9));
    }

    @Test
    void classicNormSharesEffectiveUsageAndFactor() {
        List<Sshare.Line> lines = Sshare.lines(Sshare.tree(state(), "c", USAGE), false);
        var u1 = line(lines, "acctA", "u1");
        // S = 0.4 * 0.5; UE = U + (UE(acctA) - U) * 0.5 = 1/3 + (4/9 - 1/3) / 2 = 0.388889; F = 2^(-UE/S)
        assertThat(u1.normShares()).isCloseTo(0.2, within(1e-9));
        assertThat(u1.normUsage()).isCloseTo(0.333333, within(1e-6));
        assertThat(u1.effectvUsage()).isCloseTo(0.388889, within(1e-6));
        assertThat(u1.fairShare()).isCloseTo(0.259815, within(1e-6));
        assertThat(line(lines, "acctA", "u2").fairShare()).isCloseTo(0.381859, within(1e-6));
        // u3's account sits right under root, so its effective usage is acctB's: 5/9; 2^(-(5/9)/0.6)
        assertThat(line(lines, "acctB", "u3").fairShare()).isCloseTo(0.526343, within(1e-6));
        assertThat(u1.levelFs()).isNull();
    }

    @Test
    void noUsageMeansInfiniteLevelFsAndSharesDecideTheRank() {
        List<Sshare.Line> lines = Sshare.lines(Sshare.tree(state(), "c", Map.of()), true);
        assertThat(line(lines, "acctB", "").levelFs()).isInfinite();
        assertThat(line(lines, "root", "").rawUsage()).isZero();
        // equal LevelFS: the 60-share account is walked first
        assertThat(line(lines, "acctB", "u3").fairShare()).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void decayedUsageMatchesSlurmsStepwiseDecay() {
        Instant now = Instant.parse("2026-03-10T12:00:00Z");
        var decay = UsageDecay.fromSettings(Map.of("prioritydecayhalflife", "1-0"), ZoneOffset.UTC);
        Instant start = now.minus(Duration.ofDays(2));
        Instant end = now.minus(Duration.ofDays(1));
        // H/ln2 * (2^-1 - 2^-2) with H = 86400 s
        assertThat(decay.seconds(start, end, now)).isCloseTo(31162.21, within(0.01));
        // Slurm: every period, usage *= 0.5^(period/H) and the period's run time is added
        double slurm = 0;
        int period = 60;
        for (Instant t = start; t.isBefore(now); t = t.plusSeconds(period)) {
            slurm *= Math.pow(0.5, period / 86400.0);
            if (t.isBefore(end)) {
                slurm += period;
            }
        }
        assertThat(decay.seconds(start, end, now)).isCloseTo(slurm, within(slurm * 0.001));
        // one job's usage is halved a half-life later
        assertThat(decay.seconds(start, end, now.plus(Duration.ofDays(1))))
                .isCloseTo(31162.21 / 2, within(0.01));
    }

    @Test
    void withoutDecayTheResetPeriodBoundsTheUsage() {
        Instant now = Instant.parse("2026-03-10T12:00:00Z");
        var daily = UsageDecay.fromSettings(Map.of("prioritydecayhalflife", "0",
                "priorityusageresetperiod", "DAILY"), ZoneOffset.UTC);
        assertThat(daily.decays()).isFalse();
        // ran 23:00 to 01:00: only the hour after midnight counts
        assertThat(daily.seconds(Instant.parse("2026-03-09T23:00:00Z"), Instant.parse("2026-03-10T01:00:00Z"), now))
                .isEqualTo(3600.0);
        var none = UsageDecay.fromSettings(Map.of("prioritydecayhalflife", "0"), ZoneOffset.UTC);
        assertThat(none.seconds(Instant.parse("2026-03-09T23:00:00Z"), Instant.parse("2026-03-10T01:00:00Z"), now))
                .isEqualTo(7200.0);
        var monthly = UsageDecay.fromSettings(Map.of("prioritydecayhalflife", "0",
                "priorityusageresetperiod", "MONTHLY"), ZoneOffset.UTC);
        assertThat(monthly.countFrom(now)).isEqualTo(Instant.parse("2026-03-01T00:00:00Z"));
        // a running job counts up to now
        assertThat(none.seconds(now.minusSeconds(90), null, now)).isEqualTo(90.0);
    }
}
