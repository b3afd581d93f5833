package dev.sluice.cli.scontrol;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class ScontrolTest {
    static final String NODES = """
            {"nodes": [
              {"name": "node01", "state": "MIXED", "cpus": 8, "allocCpus": 2, "memory": 16000, "allocMem": 2000,
               "gres": "gpu:h100:4", "allocGpus": 1, "partitions": ["cpu", "gpu"]},
              {"name": "node02", "state": "DRAINED", "reason": "bad fan", "reasonUser": "root",
               "reasonTime": "2026-11-22T09:00:00Z", "cpus": 8, "allocCpus": 0, "memory": 16000, "allocMem": 0,
               "partitions": ["cpu"]}
            ]}""";
    static final String PARTITIONS = """
            {"partitions": [
              {"name": "cpu", "default": true, "state": "UP", "maxTime": "UNLIMITED", "nodes": "node[01-02]",
               "totalCpus": 16, "idleCpus": 6},
              {"name": "gpu", "default": false, "state": "UP", "maxTime": "1-00:00:00", "nodes": "node01",
               "priorityTier": 2, "allowGroups": ["gpuusers"]}
            ]}""";
    static final String JOB = """
            {"jobId": 42, "name": "train", "user": "alice", "uid": 4242, "gid": 4242, "partition": "gpu",
             "account": "lab", "qos": "normal", "state": "PENDING", "stateShort": "PD", "reason": "Resources",
             "submitTime": "2026-11-22T09:50:00Z", "startTime": null, "endTime": null, "timeLimitMinutes": 60,
             "nodes": null, "numNodes": 1, "numCpus": 4, "ntasks": 4, "cpusPerTask": 1, "memMb": 4096,
             "workDir": "/home/alice", "stdout": "slurm-%j.out", "stderr": null}""";

    FakeServices s;

    @BeforeEach
    void start() throws IOException {
        s = new FakeServices().on("GET", "/api/v1/nodes", 200, NODES).on("GET", "/api/v1/partitions", 200, PARTITIONS)
                .on("GET", "/api/v1/jobs/42", 200, JOB)
                .on("GET", "/api/v1/jobs/999", 404, "{\"error\": \"Invalid job id specified\"}");
    }

    @AfterEach
    void stop() {
        s.close();
    }

    @Test
    void showNodePrintsSlurmsKeyValueRecordWithDrainFlagAndReason() {
        FakeServices.Result r = s.run("scontrol", "show", "node", "node02");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("""
                NodeName=node02 Arch=x86_64 CoresPerSocket=8
                   CPUAlloc=0 CPUEfctv=8 CPUTot=8 CPULoad=N/A
                   AvailableFeatures=(null)
                   ActiveFeatures=(null)
                   Gres=(null)
                   NodeAddr=node02 NodeHostName=node02
                   RealMemory=16000 AllocMem=0 FreeMem=N/A Sockets=1 Boards=1
                   State=IDLE+DRAIN ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A
                   Partitions=cpu
                   CfgTRES=cpu=8,mem=16000M,billing=8
                   AllocTRES=
                   Reason=bad fan [root@2026-11-22T09:00:00]

                """);
        FakeServices.Result one = s.run("scontrol", "-o", "show", "node", "node01");
        assertThat(one.out()).isEqualTo("NodeName=node01 Arch=x86_64 CoresPerSocket=8 CPUAlloc=2 CPUEfctv=8 CPUTot=8 "
                + "CPULoad=N/A AvailableFeatures=(null) ActiveFeatures=(null) Gres=gpu:h100:4 NodeAddr=node01 "
                + "NodeHostName=node01 RealMemory=16000 AllocMem=2000 FreeMem=N/A Sockets=1 Boards=1 State=MIXED "
                + "ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A Partitions=cpu,gpu "
                + "CfgTRES=cpu=8,mem=16000M,billing=8,gres/gpu=4 AllocTRES=cpu=2,mem=2000M,gres/gpu=1\n");
        FakeServices.Result missing = s.run("scontrol", "show", "node", "node09");
        assertThat(missing.rc()).isEqualTo(1);
        assertThat(missing.out()).isEqualTo("Node node09 not found\n");
    }

    @Test
    void showPartitionPrintsItsSettingsAndCountsItsNodes() {
        FakeServices.Result r = s.run("scontrol", "show", "partition", "gpu");
        assertThat(r.out()).isEqualTo("""
                PartitionName=gpu
                   AllowGroups=gpuusers AllowAccounts=ALL AllowQos=ALL
                   AllocNodes=ALL Default=NO QoS=N/A
                   DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO
                   MaxNodes=UNLIMITED MaxTime=1-00:00:00 MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED
                   Nodes=node01
                   PriorityJobFactor=1 PriorityTier=2 RootOnly=NO ReqResv=NO OverSubscribe=NO
                   OverTimeLimit=NONE PreemptMode=OFF
                   State=UP TotalCPUs=8 TotalNodes=1 SelectTypeParameters=NONE
                   JobDefaults=(null)
                   DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED
                   TRES=cpu=8,mem=16000M,node=1,billing=8,gres/gpu=4

                """);
        assertThat(s.run("scontrol", "show", "partitions").out()).contains("PartitionName=cpu\n", "PartitionName=gpu\n",
                "Default=YES", "TotalNodes=2");
    }

    @Test
    void showJobPrintsTheSubmittedJobInSlurmsLayout() {
        FakeServices.Result plain = s.run("scontrol", "show", "job", "42");
        assertThat(plain.out()).startsWith("""
                JobId=42 JobName=train
                   UserId=alice(4242) GroupId=4242(4242) MCS_label=N/A
                   Priority=N/A Nice=0 Account=lab QOS=normal
                   JobState=PENDING Reason=Resources Dependency=(null)
                   Requeue=0 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0
                   RunTime=00:00:00 TimeLimit=01:00:00 TimeMin=N/A
                   SubmitTime=2026-11-22T09:50:00 EligibleTime=2026-11-22T09:50:00
                   StartTime=Unknown EndTime=Unknown Deadline=N/A
                   Partition=gpu AllocNode:Sid=(null)
                   ReqNodeList=(null) ExcNodeList=(null)
                   NodeList=(null)
                   NumNodes=1 NumCPUs=4 NumTasks=4 CPUs/Task=1 ReqB:S:C:T=0:0:*:*
                   TRES=cpu=4,mem=4G,node=1
                   MinMemoryNode=4G MinTmpDiskNode=0
                   Command=(null)
                   WorkDir=/home/alice
                   StdErr=/home/alice/slurm-42.out
                   StdIn=/dev/null
                   StdOut=/home/alice/slurm-42.out
                """);
    }

    @Test
    void schedulerPriorityReasonAndNiceOverlayTheSubmittedJob() throws IOException {
        try (FakeServices scheduler = new FakeServices()) {
            scheduler.on("GET", "/api/v1/jobs/42", 200, """
                    {"JobId": 42, "Priority": 10400, "Nice": 5, "Reason": "Priority", "JobState": "PENDING",
                     "TresPerNode": "gres/gpu:h100:2",
                     "Layout": [{"node": "node01", "tasks": 2, "cpuIds": [0, 1, 2, 5], "memMb": 2048, "gpuIds": [2, 3]},
                                {"node": "node02", "tasks": 2, "cpuIds": [4], "memMb": 2048, "gpuIds": []}]}""");
            s.schedulerUrl = scheduler.url();
            FakeServices.Result r = s.run("scontrol", "show", "job", "42");
            assertThat(r.out()).contains("   Priority=10400 Nice=5 Account=lab QOS=normal\n",
                    "   JobState=PENDING Reason=Priority Dependency=(null)\n").doesNotContain("CPU_IDs");
            assertThat(s.run("scontrol", "-d", "show", "job", "42").out()).contains("""
                       TRES=cpu=4,mem=4G,node=1,gres/gpu=2
                         Nodes=node01 CPU_IDs=0-2,5 Mem=2048 GRES=gpu:2(IDX:2-3)
                         Nodes=node02 CPU_IDs=4 Mem=2048 GRES=
                    """);
        }
    }

    @Test
    void unknownJobIsAnInvalidJobId() {
        FakeServices.Result r = s.run("scontrol", "show", "job", "999");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("slurm_load_jobs error: Invalid job id specified\n");
        FakeServices.Result hold = s.run("scontrol", "hold", "999");
        assertThat(hold.rc()).isEqualTo(1);
        assertThat(hold.err()).isEqualTo("scontrol: error: Invalid job id specified\n");
    }

    @Test
    void drainNeedsAReasonAndGoesToEveryNodeOfTheList() {
        FakeServices.Result noReason = s.run("scontrol", "update", "NodeName=node01", "State=DRAIN");
        assertThat(noReason.rc()).isEqualTo(1);
        assertThat(noReason.err()).isEqualTo("You must specify a reason when DOWNING or DRAINING a node. Request denied\n");
        assertThat(s.writes()).isEmpty();

        s.on("POST", "/api/v1/admin/nodes/node01/state", 200, "{}").on("POST", "/api/v1/admin/nodes/node02/state", 200, "{}");
        FakeServices.Result r = s.run("scontrol", "update", "NodeName=node[01-02]", "State=DRAIN", "Reason=new fans");
        assertThat(r.err()).isEmpty();
        assertThat(r.rc()).isZero();
        assertThat(s.writes()).containsExactly(
                "POST /api/v1/admin/nodes/node01/state {\"state\":\"DRAIN\",\"reason\":\"new fans\",\"user\":\"alice\"}",
                "POST /api/v1/admin/nodes/node02/state {\"state\":\"DRAIN\",\"reason\":\"new fans\",\"user\":\"alice\"}");

        FakeServices.Result unknown = s.run("scontrol", "update", "nodename=node09", "state=resume");
        assertThat(unknown.rc()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("scontrol: error: Invalid node name specified\n");

        FakeServices.Result badState = s.run("scontrol", "update", "NodeName=node01", "State=SLEEP");
        assertThat(badState.err()).startsWith("scontrol: error: Invalid input: State=SLEEP\nRequest aborted\n");
    }

    @Test
    void holdReleaseRequeueAndUpdateAreJobCommandsToSubmit() {
        for (String op : new String[] {"hold", "release", "requeue"}) {
            s.on("POST", "/api/v1/jobs/42/" + op, 202, "{\"message\": \"ok\"}");
        }
        s.on("PATCH", "/api/v1/jobs/42", 202, "{\"message\": \"Update requested for job 42\"}");
        assertThat(s.run("scontrol", "hold", "42").rc()).isZero();
        assertThat(s.run("scontrol", "release", "42").rc()).isZero();
        assertThat(s.run("scontrol", "requeue", "42").rc()).isZero();
        FakeServices.Result u = s.run("scontrol", "update", "JobId=42", "TimeLimit=30", "Nice=10", "Partition=cpu",
                "Priority=500");
        assertThat(u.err()).isEmpty();
        assertThat(s.writes()).containsExactly(
                "POST /api/v1/jobs/42/hold {\"user\":\"alice\",\"admin\":false}",
                "POST /api/v1/jobs/42/release {\"user\":\"alice\",\"admin\":false}",
                "POST /api/v1/jobs/42/requeue {\"user\":\"alice\",\"admin\":false}",
                "PATCH /api/v1/jobs/42 {\"user\":\"alice\",\"admin\":false,\"timeLimit\":\"30\",\"nice\":10,\"partition\":\"cpu\",\"priority\":500}");
        s.identity = new dev.sluice.cli.common.Identity("root", 0, 0);
        s.requests.clear();
        assertThat(s.run("scontrol", "hold", "42").rc()).isZero();
        assertThat(s.run("scontrol", "uhold", "42").rc()).isZero();
        assertThat(s.run("scontrol", "requeuehold", "42").rc()).isZero();
        assertThat(s.writes()).containsExactly(
                "POST /api/v1/jobs/42/hold {\"user\":\"root\",\"admin\":true}",
                "POST /api/v1/jobs/42/hold {\"user\":\"root\",\"admin\":false}",
                "POST /api/v1/jobs/42/requeue {\"user\":\"root\",\"admin\":true,\"hold\":true}");
        s.on("POST", "/api/v1/jobs/42/release", 403, "{\"error\": \"Access/permission denied\"}");
        s.identity = new dev.sluice.cli.common.Identity("alice", 1000, 1000);
        FakeServices.Result denied = s.run("scontrol", "release", "42");
        assertThat(denied.rc()).isEqualTo(1);
        assertThat(denied.err()).isEqualTo("scontrol: error: Access/permission denied\n");
        FakeServices.Result bad = s.run("scontrol", "update", "JobId=42", "Color=blue");
        assertThat(bad.rc()).isEqualTo(1);
        assertThat(bad.err()).startsWith("scontrol: error: Update of this parameter is not supported: color=blue");
    }

    @Test
    void reconfigureAsksTheScheduler() {
        s.on("POST", "/api/v1/admin/reconfigure", 200, "{}");
        assertThat(s.run("scontrol", "reconfigure").rc()).isZero();
        assertThat(s.writes()).containsExactly("POST /api/v1/admin/reconfigure {}");
    }

    @Test
    void nodeAddrIsTheHostTheAgentRegisteredWith() {
        org.assertj.core.api.Assertions.assertThat(ShowText.host("10.0.0.7:6818")).isEqualTo("10.0.0.7");
        org.assertj.core.api.Assertions.assertThat(ShowText.host("http://gpu03.cluster:6818/")).isEqualTo("gpu03.cluster");
        org.assertj.core.api.Assertions.assertThat(ShowText.host("node02")).isEqualTo("node02");
        org.assertj.core.api.Assertions.assertThat(ShowText.host("fe80::1")).isEqualTo("fe80::1");
    }
}
