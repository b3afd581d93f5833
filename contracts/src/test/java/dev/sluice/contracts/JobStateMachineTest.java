package dev.sluice.contracts;

import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static dev.sluice.contracts.job.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job state machine checked cell by cell against a table written out here, independently of
 * {@link JobStateMachine}'s own sets, so that a change to either is a visible, reviewed decision.
 */
class JobStateMachineTest {

    /*
     * Row = from, column = to, 'x' = allowed. The columns are in JobState's declaration order, named by squeue's
     * short codes. Edges beyond the javadoc diagram, and why Slurm has them:
     *   PD -> F   the scheduler fails a job it cannot start at all
     *   PD -> BF  the nodes given to it failed to boot
     *   PD -> DL  its --deadline passed while it waited
     *   R  -> PR  preempted by a higher-priority job (PreemptMode=CANCEL)
     *   S  -> CA/NF/RQ  a suspended job can be cancelled, lose its node, or be requeued
     *   CG -> RQ  requeue decided while steps were ending (scontrol requeue, node lost with --requeue)
     *   RQ -> CA  scancel of a job between requeue and pending
     */
    private static final String TABLE = """
                  PD R  S  CG CD CA F  TO NF PR OOM BF DL RQ
            PD    .  x  .  .  .  x  x  .  .  .  .   x  x  .
            R     .  .  x  x  x  x  x  x  x  x  x   .  .  x
            S     .  x  .  .  .  x  .  .  x  .  .   .  .  x
            CG    .  .  .  .  x  x  x  x  x  x  x   .  .  x
            CD    .  .  .  .  .  .  .  .  .  .  .   .  .  .
            CA    .  .  .  .  .  .  .  .  .  .  .   .  .  .
            F     .  .  .  .  .  .  .  .  .  .  .   .  .  .
            TO    .  .  .  .  .  .  .  .  .  .  .   .  .  .
            NF    .  .  .  .  .  .  .  .  .  .  .   .  .  .
            PR    .  .  .  .  .  .  .  .  .  .  .   .  .  .
            OOM   .  .  .  .  .  .  .  .  .  .  .   .  .  .
            BF    .  .  .  .  .  .  .  .  .  .  .   .  .  .
            DL    .  .  .  .  .  .  .  .  .  .  .   .  .  .
            RQ    x  .  .  .  .  x  .  .  .  .  .   .  .  .
            """;

    private static final Set<JobState> TERMINAL =
            EnumSet.of(COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY, BOOT_FAIL, DEADLINE);

    private static List<String[]> rows() {
        return TABLE.lines().map(String::trim).filter(l -> !l.isEmpty()).map(l -> l.split("\\s+")).toList();
    }

    static Stream<Arguments> cells() {
        List<String[]> rows = rows();
        String[] header = rows.getFirst();
        List<Arguments> cells = new ArrayList<>();
        for (String[] row : rows.subList(1, rows.size())) {
            JobState from = JobState.parse(row[0]);
            for (int c = 1; c < row.length; c++) {
                cells.add(Arguments.of(from, JobState.parse(header[c - 1]), row[c].equals("x")));
            }
        }
        return cells.stream();
    }

    @Test
    void tableCoversEveryStateInBothDirections() {
        List<String[]> rows = rows();
        List<JobState> columns = Arrays.stream(rows.getFirst()).map(JobState::parse).toList();
        List<JobState> rowStates = rows.subList(1, rows.size()).stream().map(r -> JobState.parse(r[0])).toList();

        assertThat(columns).containsExactly(JobState.values());
        assertThat(rowStates).containsExactly(JobState.values());
        assertThat(rows.subList(1, rows.size()))
                .allSatisfy(r -> assertThat(r).hasSize(JobState.values().length + 1));
        assertThat(cells()).hasSize(JobState.values().length * JobState.values().length);
    }

    @ParameterizedTest(name = "{0} -> {1} allowed: {2}")
    @MethodSource("cells")
    void everyTransitionMatchesTheTable(JobState from, JobState to, boolean allowed) {
        assertThat(JobStateMachine.canTransition(from, to)).isEqualTo(allowed);
        assertThat(JobStateMachine.next(from).contains(to)).isEqualTo(allowed);
        if (allowed) {
            JobStateMachine.requireTransition(from, to);
        } else {
            assertThatThrownBy(() -> JobStateMachine.requireTransition(from, to))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(from.name())
                    .hasMessageContaining(to.name());
        }
    }

    @ParameterizedTest
    @EnumSource(JobState.class)
    void terminalStatesAreExactlyTheOnesWithoutExit(JobState state) {
        assertThat(JobStateMachine.isTerminal(state)).isEqualTo(TERMINAL.contains(state));
        assertThat(state.isTerminal()).isEqualTo(TERMINAL.contains(state));
        assertThat(JobStateMachine.next(state).isEmpty()).isEqualTo(TERMINAL.contains(state));
    }

    @Test
    void everyStateIsReachableFromPendingAndEveryLiveStateCanEnd() {
        assertThat(reachableFrom(PENDING)).containsExactlyInAnyOrder(JobState.values());
        for (JobState live : EnumSet.complementOf(EnumSet.copyOf(TERMINAL))) {
            assertThat(reachableFrom(live)).as("ends reachable from %s", live).containsAnyElementsOf(TERMINAL);
        }
    }

    @Test
    void nextIsACopyCallersCannotUseToChangeTheMachine() {
        JobStateMachine.next(PENDING).add(COMPLETED);
        JobStateMachine.next(COMPLETED).add(RUNNING);

        assertThat(JobStateMachine.canTransition(PENDING, COMPLETED)).isFalse();
        assertThat(JobStateMachine.canTransition(COMPLETED, RUNNING)).isFalse();
    }

    @ParameterizedTest(name = "{0} is {1} in squeue")
    @CsvSource({
            "PENDING, PD", "RUNNING, R", "SUSPENDED, S", "COMPLETING, CG", "COMPLETED, CD", "CANCELLED, CA",
            "FAILED, F", "TIMEOUT, TO", "NODE_FAIL, NF", "PREEMPTED, PR", "OUT_OF_MEMORY, OOM", "BOOT_FAIL, BF",
            "DEADLINE, DL", "REQUEUED, RQ"})
    void shortNamesAreSqueues(JobState state, String squeueCode) {
        assertThat(state.shortName()).isEqualTo(squeueCode);
        assertThat(JobState.parse(squeueCode)).isEqualTo(state);
        assertThat(JobState.parse(state.name().toLowerCase())).isEqualTo(state);
    }

    @Test
    void parseTakesTheAmericanSpellingAndRejectsUnknownStatesInSlurmsWords() {
        assertThat(JobState.parse(" canceled ")).isEqualTo(CANCELLED);
        assertThatThrownBy(() -> JobState.parse("RUNING"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid job state specified: RUNING");
    }

    private static Set<JobState> reachableFrom(JobState start) {
        Set<JobState> seen = EnumSet.of(start);
        Deque<JobState> todo = new ArrayDeque<>(List.of(start));
        while (!todo.isEmpty()) {
            for (JobState next : JobStateMachine.next(todo.pop())) {
                if (seen.add(next)) {
                    todo.push(next);
                }
            }
        }
        return seen;
    }
}
