package dev.sluice.scheduler.standby;

import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.loop.SchedulerLoop;
import org.apache.kafka.clients.consumer.ConsumerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * One scheduler instance as its own process, as the service wires it (election, then a loop per term) without
 * Quarkus, so a test can kill it with SIGKILL. Args: bootstrap servers, instance id, cluster file, session timeout
 * in ms.
 */
public final class SchedulerInstanceMain {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String id = args[1];
        ClusterConfig config = ClusterConfig.parse(Files.readString(Path.of(args[2])));
        Duration session = Duration.ofMillis(Long.parseLong(args[3]));
        // Small batches: many transactions, so a kill lands between commits or inside one.
        SchedulerLoop.Settings loopSettings = new SchedulerLoop.Settings(bootstrap, "sluice-scheduler",
                "sluice-scheduler", Duration.ofSeconds(1), Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5), -1);
        LeaderElection election = new LeaderElection(
                new LeaderElection.Settings(bootstrap, LeaderElection.GROUP, id, session, (short) 1), () -> {
                    System.out.println(id + " ACTIVE");
                    SchedulerLoop loop = new SchedulerLoop(loopSettings, config, Clock.systemUTC(), v -> { }).start();
                    return new LeaderElection.Term() {
                        @Override
                        public boolean alive() {
                            return loop.alive();
                        }

                        @Override
                        public void stop() {
                            loop.close();
                        }
                    };
                }).start();
        Runtime.getRuntime().addShutdownHook(new Thread(election::close));
        Thread.currentThread().join();
    }
}
