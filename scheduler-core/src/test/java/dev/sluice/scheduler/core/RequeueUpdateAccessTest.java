package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/** scontrol requeue, node loss with --requeue, scontrol update, partition access lists, drain and completing. */
class RequeueUpdateAccessTest {

    @Test
    void aRequeuedJobKeepsItsIdGoesBackToPendingAndStartsAgainAfterTheDelay() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1));
        c.handle(new Input.Requeue(1, false));

        assertThat(c.changes(1)).extracting(Decision.StateChanged::previous, Decision.StateChanged::state,
                Decision.StateChanged::reason).endsWith(
                tuple(RUNNING, REQUEUED, Reason.NONE),
                tuple(REQUEUED, PENDING, Reason.BEGIN_TIME));
        assertThat(c.all(Decision.Signal.class)).extracting(Decision.Signal::node, Decision.Signal::reason)
                .containsExactly(tuple("n1", "REQUEUED"));
        assertThat(c.nodeState("n1")).isEqualTo("IDLE");
        assertThat(c.scheduler.job(1).orElseThrow().restarts()).isEqualTo(1);

        c.elapse(Duration.ofSeconds(60));
        assertThat(c.state(1)).isEqualTo(PENDING);
        c.elapse(Scheduler.REQUEUE_DELAY);
        assertThat(c.state(1)).isEqualTo(RUNNING);
    }

    @Test
    void requeueHoldLeavesItHeld() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1));
        c.handle(new Input.Requeue(1, true));
        c.elapse(Duration.ofMinutes(10));

        assertThat(c.reason(1)).isEqualTo(Reason.JOB_HELD_ADMIN);
        c.handle(new Input.Release(1));
        assertThat(c.state(1)).isEqualTo(RUNNING);
    }

    @ParameterizedTest(name = "requeue of {0}: {1}")
    @CsvSource({
            "a pending job,         Job is pending execution",
            "a --no-requeue job,    Requested operation is presently disabled",
            "an unknown job,        Invalid job id specified"})
    void requeueIsRefusedInSlurmsWords(String what, String message) {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1).requeue(false), job(2));
        long id = what.contains("pending") ? 2 : what.contains("no-requeue") ? 1 : 77;
        c.handle(new Input.Requeue(id, false));

        assertThat(c.all(Decision.Rejected.class)).extracting(Decision.Rejected::message).containsExactly(message);
    }

    @ParameterizedTest(name = "node lost ({0}) with {1}: the job {2}")
    @CsvSource({
            "heartbeats stop, --requeue,    REQUEUED",
            "heartbeats stop, --no-requeue, NODE_FAIL",
            "heartbeats stop, neither,      NODE_FAIL",
            "set DOWN,        --requeue,    REQUEUED",
            "set DOWN,        neither,      NODE_FAIL",
            "agent restarted, --requeue,    REQUEUED"})
    void aLostNodeRequeuesJobsThatAskedFor(String how, String option, JobState expected) {
        JobSpec j = option.equals("neither") ? job(1).tasks(2) : job(1).tasks(2).requeue(option.equals("--requeue"));
        TestCluster c = cluster(node("n1", cpus(1)), node("n2", cpus(1))).submit(j);
        switch (how) {
            case "heartbeats stop" -> {
                c.clock.advance(Duration.ofSeconds(61));
                c.handle(new Input.Heartbeat("n2"), new Input.Tick());
            }
            case "set DOWN" -> c.handle(new Input.Down("n1", "bad DIMM"));
            default -> c.handle(new Input.NodeRegistered("n1", "boot-2", List.of(0), 8192, List.of()));
        }

        List<JobState> states = c.changes(1).stream().map(Decision.StateChanged::state).toList();
        if (expected == REQUEUED) {
            assertThat(states).endsWith(REQUEUED, PENDING);
        } else {
            assertThat(states).endsWith(NODE_FAIL);
        }
        assertThat(c.all(Decision.Signal.class)).extracting(Decision.Signal::node).containsExactly("n2");
    }

    @ParameterizedTest(name = "{0} sets {1}: {2}")
    @CsvSource({
            // who    field                           outcome (pending job with -t 30, partition MaxTime=60)
            "user,    TimeLimit=20,                   ok",
            "user,    TimeLimit=40,                   Access/permission denied",
            "admin,   TimeLimit=50,                   ok",
            "admin,   TimeLimit=90,                   ok",
            "user,    Nice=100,                       ok",
            "user,    Nice=-5,                        Access/permission denied",
            "admin,   Nice=-5,                        ok",
            "user,    Priority=5000,                  Access/permission denied",
            "admin,   Priority=5000,                  ok",
            "user,    Partition=gpu,                  ok",
            "user,    Partition=nope,                 Invalid partition name specified",
            "user,    Partition=secret,               User's group not permitted to use this partition"})
    void updateFollowsSlurmsRules(String who, String field, String outcome) {
        TestCluster c = cluster("""
                PartitionName=cpu Nodes=n1 Default=YES MaxTime=60
                PartitionName=gpu Nodes=n1 MaxTime=60
                PartitionName=secret Nodes=n1 AllowGroups=staff
                """, node("n1", cpus(1))).submit(job(1), job(2).time(30).groups("users"));
        String[] kv = field.split("=");
        String value = kv[1];
        boolean admin = who.equals("admin");
        Input.Update u = switch (kv[0]) {
            case "TimeLimit" -> new Input.Update(2, admin, Integer.parseInt(value), null, null, null);
            case "Nice" -> new Input.Update(2, admin, null, null, Integer.parseInt(value), null);
            case "Priority" -> new Input.Update(2, admin, null, null, null, Long.parseLong(value));
            default -> new Input.Update(2, admin, null, value, null, null);
        };
        c.handle(u);

        Job after = c.scheduler.job(2).orElseThrow();
        if (outcome.equals("ok")) {
            assertThat(c.all(Decision.Rejected.class)).isEmpty();
            switch (kv[0]) {
                case "TimeLimit" -> assertThat(after.request().timeLimitMinutes()).isEqualTo(Integer.parseInt(value));
                case "Nice" -> assertThat(after.request().nice()).isEqualTo(Integer.parseInt(value));
                case "Priority" -> assertThat(after.adminPriority()).isEqualTo(Long.parseLong(value));
                default -> assertThat(after.partition()).isEqualTo(value);
            }
        } else {
            assertThat(c.all(Decision.Rejected.class)).extracting(Decision.Rejected::message)
                    .containsExactly(outcome);
            assertThat(after.request().timeLimitMinutes()).isEqualTo(30);
            assertThat(after.partition()).isEqualTo("cpu");
        }
    }

    @Test
    void anAdminPriorityPutsAJobFirstAndPriorityZeroHoldsIt() {
        TestCluster c = TestCluster.slurm("PartitionName=cpu Nodes=ALL Default=YES", node("n1", cpus(1)))
                .submit(job(1), job(2), job(3), job(4));
        c.handle(new Input.Update(4, true, null, null, null, 1_000_000L), new Input.Update(2, true, null, null,
                null, 0L));
        c.finish(1, COMPLETED, 0);

        assertThat(c.state(4)).isEqualTo(RUNNING);
        assertThat(c.reason(2)).isEqualTo(Reason.JOB_HELD_ADMIN);
        c.finish(4, COMPLETED, 0);
        assertThat(c.state(3)).isEqualTo(RUNNING);
    }

    @Test
    void aRunningJobsTimeLimitCanOnlyBeLoweredByItsUser() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1).time(30));
        c.handle(new Input.Update(1, false, 10, null, null, null));
        assertThat(c.scheduler.job(1).orElseThrow().timeLimitMinutes()).isEqualTo(10);

        c.handle(new Input.Update(1, false, 20, null, null, null), new Input.Update(1, false, null, "cpu", null, null));
        assertThat(c.all(Decision.Rejected.class)).extracting(Decision.Rejected::message)
                .containsExactly("Access/permission denied", "Job is no longer pending execution");
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', value = {
            "AllowGroups=ai_team,research_group | user in research_group      | ok",
            "AllowGroups=ai_team,research_group | user in users               | User's group not permitted to use this partition",
            "AllowGroups=ALL                    | user in users               | ok",
            "AllowAccounts=lab                  | account lab                 | ok",
            "AllowAccounts=lab                  | account other               | Invalid account or account/partition combination specified",
            "DenyAccounts=other                 | account other               | Invalid account or account/partition combination specified",
            "AllowQos=normal,high               | qos high                    | ok",
            "AllowQos=normal,high               | qos low                     | Invalid qos specification",
            "DenyQos=low                        | qos low                     | Invalid qos specification"})
    void partitionAccessListsRejectAtSubmitInSlurmsWords(String partition, String who, String outcome) {
        TestCluster c = cluster("PartitionName=gpu Nodes=ALL Default=YES " + partition, node("n1", cpus(1)));
        String[] w = who.split(" ");
        JobSpec j = switch (w[0]) {
            case "user" -> job(1).groups(w[2]);
            case "account" -> job(1).account(w[1]);
            default -> job(1).qos(w[1]);
        };
        c.submit(j);

        if (outcome.equals("ok")) {
            assertThat(c.state(1)).isEqualTo(RUNNING);
        } else {
            assertThat(c.lastChange(1).state()).isEqualTo(FAILED);
            assertThat(c.lastChange(1).detail()).isEqualTo(outcome);
        }
    }

    @Test
    void drainingANodeWithJobsShowsDrainingUntilTheyEndThenDrained() {
        TestCluster c = cluster(node("n1", cpus(2)), node("n2", cpus(2))).submit(job(1));
        c.handle(new Input.Drain("n1", "maintenance"), new Input.Drain("n2", "maintenance"));
        assertThat(c.nodeState("n1")).isEqualTo("DRAINING (maintenance)");
        assertThat(c.nodeState("n2")).isEqualTo("DRAINED (maintenance)");

        c.submit(job(2));
        assertThat(c.state(2)).as("nothing new starts on a draining node").isEqualTo(PENDING);
        c.finish(1, COMPLETED, 0);
        assertThat(c.nodeState("n1")).isEqualTo("DRAINED (maintenance)");
        assertThat(c.state(2)).isEqualTo(PENDING);

        c.handle(new Input.Resume("n1"));
        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.nodeState("n1")).isEqualTo("MIXED");
    }

    @Test
    void aResumedDrainingNodeKeepsItsJobs() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1));
        c.handle(new Input.Drain("n1", "check"));
        c.handle(new Input.Resume("n1"));

        assertThat(c.nodeState("n1")).isEqualTo("ALLOCATED");
        assertThat(c.state(1)).isEqualTo(RUNNING);
    }

    @Test
    void aNodeWhoseJobIsBeingCancelledShowsCompletingUntilTheBatchStepEnds() {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(1)).cancel(1);
        assertThat(c.nodeState("n1")).isEqualTo("COMPLETING");

        c.finish(1, FAILED, 0);
        assertThat(c.nodeState("n1")).isEqualTo("IDLE");
    }
}
