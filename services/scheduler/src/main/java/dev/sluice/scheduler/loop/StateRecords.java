package dev.sluice.scheduler.loop;

import dev.sluice.contracts.EventCatalog;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.accounting.AccountingEvent;
import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.accounting.FairshareUsage;
import dev.sluice.contracts.accounting.QosChanged;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.scheduler.core.Job;
import dev.sluice.scheduler.core.Node;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The scheduler's changelog on the compacted topic {@code sluice.scheduler.state}: one record per live job
 * ({@code job:<id>}) and per node ({@code node:<name>}), the latest value winning, a tombstone once a job is final.
 * A job's record carries its submit event too, because launching it needs the script and environment.
 */
final class StateRecords {
    static final String JOB_PREFIX = "job:";
    static final String NODE_PREFIX = "node:";
    /** An accounting entity (association, QoS, usage) by its event key, as its latest event. */
    static final String ACCOUNTING_PREFIX = "acct:";
    /** The ranges of ids of jobs that ended ({@link EndedJobs}). */
    static final String ENDED = "ended";

    static ProducerRecord<String, byte[]> ended(EndedJobs ended) {
        return new ProducerRecord<>(Topics.SCHEDULER_STATE, ENDED, json(ended.ranges()));
    }

    /** A live job's persisted form. */
    record StoredJob(Job job, JobSubmitted submitted) {
    }

    private StateRecords() {
    }

    static ProducerRecord<String, byte[]> job(Job job, JobSubmitted submitted) {
        return new ProducerRecord<>(Topics.SCHEDULER_STATE, JOB_PREFIX + job.id(), json(new StoredJob(job, submitted)));
    }

    static ProducerRecord<String, byte[]> jobTombstone(long jobId) {
        return new ProducerRecord<>(Topics.SCHEDULER_STATE, JOB_PREFIX + jobId, null);
    }

    static ProducerRecord<String, byte[]> node(Node node) {
        return new ProducerRecord<>(Topics.SCHEDULER_STATE, NODE_PREFIX + node.name(), json(node));
    }

    /** A removal is stored as a tombstone, so a removed association does not come back after a restart. */
    static ProducerRecord<String, byte[]> accounting(AccountingEvent e) {
        boolean removed = switch (e) {
            case AssociationChanged a -> a.removed();
            case QosChanged q -> q.removed();
            case FairshareUsage u -> false;
        };
        return new ProducerRecord<>(Topics.SCHEDULER_STATE,
                ACCOUNTING_PREFIX + dev.sluice.scheduler.policy.PolicyBook.bookKey(e),
                removed ? null : json(new StoredAccounting(EventCatalog.of(e).type(), Json.MAPPER.valueToTree(e))));
    }

    record StoredAccounting(String type, com.fasterxml.jackson.databind.JsonNode data) {
    }

    static void apply(ConsumerRecord<String, byte[]> r, Map<Long, StoredJob> jobs, Map<String, Node> nodes) {
        apply(r, jobs, nodes, new java.util.HashMap<>(), new EndedJobs());
    }

    /** Applies one changelog record to the maps being rebuilt. */
    static void apply(ConsumerRecord<String, byte[]> r, Map<Long, StoredJob> jobs, Map<String, Node> nodes,
                      Map<String, AccountingEvent> accounting, EndedJobs ended) {
        String key = r.key();
        if (key == null) {
            return;
        }
        try {
            if (key.startsWith(JOB_PREFIX)) {
                long id = Long.parseLong(key.substring(JOB_PREFIX.length()));
                if (r.value() == null) {
                    jobs.remove(id);
                } else {
                    jobs.put(id, Json.MAPPER.readValue(r.value(), StoredJob.class));
                }
            } else if (key.equals(ENDED)) {
                ended.load(r.value() == null ? java.util.List.of()
                        : java.util.Arrays.asList(Json.MAPPER.readValue(r.value(), long[][].class)));
            } else if (key.startsWith(ACCOUNTING_PREFIX)) {
                String k = key.substring(ACCOUNTING_PREFIX.length());
                if (r.value() == null) {
                    accounting.remove(k);
                } else {
                    StoredAccounting s = Json.MAPPER.readValue(r.value(), StoredAccounting.class);
                    Class<?> type = EventCatalog.byType(s.type()).orElseThrow().recordClass();
                    accounting.put(k, (AccountingEvent) Json.MAPPER.treeToValue(s.data(), type));
                }
            } else if (key.startsWith(NODE_PREFIX)) {
                String name = key.substring(NODE_PREFIX.length());
                if (r.value() == null) {
                    nodes.remove(name);
                } else {
                    nodes.put(name, Json.MAPPER.readValue(r.value(), Node.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Unreadable scheduler state record " + key, e);
        }
    }

    private static byte[] json(Object value) {
        try {
            return Json.MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
