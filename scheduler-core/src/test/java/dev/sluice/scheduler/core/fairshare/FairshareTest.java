package dev.sluice.scheduler.core.fairshare;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FairshareTest {
    /** Slurm's documented classic example: A=40 (B=30: User1; C=10: User2, User3), D=60 (E=25: User4; F=35: User5). */
    static ShareTree slurmExample() {
        return new ShareTree()
                .account("A", "root", 40).account("B", "A", 30).account("C", "A", 10)
                .account("D", "root", 60).account("E", "D", 25).account("F", "D", 35)
                .user("User1", "B", 1, 0.20)
                .user("User2", "C", 1, 0.25).user("User3", "C", 1, 0.0)
                .user("User4", "E", 1, 0.25)
                .user("User5", "F", 1, 0.0)
                // the rest of the cluster's usage, so that the users' usages are fractions of the whole
                .account("others", "root", 0).user("idle", "others", 0, 0.30);
    }

    @Test
    void classicReproducesSlurmsWorkedExample() {
        ShareTree t = slurmExample();
        assertThat(ClassicFairshare.factor(t.node("User1@B"))).isCloseTo(0.408479, within(1e-6));
        assertThat(ClassicFairshare.factor(t.node("User2@C"))).isCloseTo(0.022097, within(1e-6));
        assertThat(ClassicFairshare.factor(t.node("User3@C"))).isCloseTo(0.125000, within(1e-6));
        assertThat(ClassicFairshare.factor(t.node("User4@E"))).isCloseTo(0.500000, within(1e-6));
        assertThat(ClassicFairshare.factor(t.node("User5@F"))).isCloseTo(0.749154, within(1e-6));
    }

    @Test
    void sharesOneHundredBeatFiftyWhenNeitherHasUsage() {
        ShareTree t = new ShareTree().account("team_a", "root", 100).account("team_b", "root", 50)
                .user("alice", "team_a", 1, 0).user("bob", "team_b", 1, 0);
        // Classic gives both 1.0 without usage (2^0); Fair Tree breaks the tie of two infinite LFs by shares.
        assertThat(ClassicFairshare.factor(t.node("alice@team_a")))
                .isEqualTo(ClassicFairshare.factor(t.node("bob@team_b"))).isEqualTo(1.0);
        Map<String, Double> ft = FairTree.factors(t);
        assertThat(ft.get("alice@team_a")).isEqualTo(1.0);
        assertThat(ft.get("bob@team_b")).isEqualTo(0.5);
    }

    @Test
    void fairTreeRanksEveryUserOfTheBetterAccountAboveTheSiblingsUsers() {
        // lab1 used far more than its share; inside it, one heavy user. lab2 used little.
        ShareTree t = new ShareTree().account("lab1", "root", 50).account("lab2", "root", 50)
                .user("heavy", "lab1", 1, 0.70).user("light1", "lab1", 1, 0.05)
                .user("u1", "lab2", 1, 0.15).user("u2", "lab2", 1, 0.10);
        Map<String, Double> f = FairTree.factors(t);
        List<String> order = List.copyOf(f.keySet());
        assertThat(order.subList(0, 2)).containsExactlyInAnyOrder("u1@lab2", "u2@lab2");
        assertThat(f.get("u1@lab2")).isGreaterThan(f.get("light1@lab1"));
        assertThat(f.get("u2@lab2")).isGreaterThan(f.get("light1@lab1"));
        assertThat(f.get("light1@lab1")).isGreaterThan(f.get("heavy@lab1"));
    }

    @Test
    void aHeavyUserInOneLabDoesNotLowerTheSiblingLabsUsers() {
        ShareTree quiet = new ShareTree().account("lab1", "root", 50).account("lab2", "root", 50)
                .user("heavy", "lab1", 1, 0.10).user("u1", "lab2", 1, 0.10);
        ShareTree busy = new ShareTree().account("lab1", "root", 50).account("lab2", "root", 50)
                .user("heavy", "lab1", 1, 0.90).user("u1", "lab2", 1, 0.10);
        double before = FairTree.factors(quiet).get("u1@lab2");
        double after = FairTree.factors(busy).get("u1@lab2");
        assertThat(after).isGreaterThanOrEqualTo(before);
        assertThat(FairTree.factors(busy).get("u1@lab2")).isEqualTo(1.0);
    }
}
