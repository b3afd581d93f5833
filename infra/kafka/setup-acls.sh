#!/usr/bin/env bash
# GENERATED from embedded-infra/src/main/java/dev/sluice/infra/kafka/KafkaAccess.java: do not edit.
# Regenerate: java -cp <embedded-infra classpath> dev.sluice.infra.kafka.KafkaAccess > infra/kafka/setup-acls.sh
# (KafkaAccessTableTest fails when this file and the Java table differ.)
#
# Creates Sluice's topics, one SCRAM-SHA-512 user per service and per node agent, and their ACLs, as the
# broker's super user. Idempotent: run it again after adding a node or rotating a password.
# Environment: KAFKA_BOOTSTRAP (default kafka:9092), KAFKA_ADMIN_PASSWORD, SLUICE_NODES (node01,node02),
# SLUICE_KAFKA_PASSWORD_<PRINCIPAL> for each principal (SCHEDULER, SUBMIT, ACCOUNTING, IDENTITY,
# NODE_<NODE NAME>, upper case, '-' and '.' as '_'), optional SLUICE_REPLICATION_FACTOR (default 1).
set -euo pipefail
BOOTSTRAP=${KAFKA_BOOTSTRAP:-kafka:9092}
BIN=${KAFKA_BIN:-/opt/kafka/bin}
RF=${SLUICE_REPLICATION_FACTOR:-1}
: "${KAFKA_ADMIN_PASSWORD:?the broker admin password}"
: "${SLUICE_NODES:?comma-separated node names, e.g. node01,node02}"
ADMIN_CONFIG=$(mktemp)
trap 'rm -f "$ADMIN_CONFIG"' EXIT
chmod 600 "$ADMIN_CONFIG"
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="%s";\n' \
  "$KAFKA_ADMIN_PASSWORD" > "$ADMIN_CONFIG"

topic() {
  "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create \
    --if-not-exists --topic "$1" --partitions "$2" --replication-factor "$RF" "${@:3}"
}
# Passwords must not contain ',', '[' or ']' (kafka-configs syntax); generate them with: openssl rand -hex 24
user() {
  local var="SLUICE_KAFKA_PASSWORD_$(printf '%s' "$1" | tr 'a-z.-' 'A-Z__')"
  local password="${!var:?$var is not set}"
  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter \
    --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]"
}
allow() {
  local principal=$1 pattern=$2; shift 2
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add \
    --allow-principal "User:$principal" --resource-pattern-type "$pattern" "$@" >/dev/null
}

topic sluice.job.commands 6
topic sluice.job.events 6
topic sluice.node.commands 6
topic sluice.node.events 6
topic sluice.step.events 6
topic sluice.identity.events 6
topic sluice.scheduler.state 1 --config cleanup.policy=compact
topic sluice.accounting.events 6
topic sluice.jobcomp 6

user scheduler
allow scheduler literal --operation Write --topic sluice.job.events --topic sluice.node.commands --topic sluice.scheduler.state
allow scheduler literal --operation Read --topic sluice.accounting.events --topic sluice.job.commands --topic sluice.node.events --topic sluice.scheduler.state --topic sluice.step.events
allow scheduler prefixed --operation Read --group sluice-scheduler
allow scheduler prefixed --operation Write --transactional-id sluice-scheduler
allow scheduler prefixed --operation Describe --transactional-id sluice-scheduler
allow scheduler literal --operation Describe --topic sluice.accounting.events --topic sluice.identity.events --topic sluice.job.commands --topic sluice.job.events --topic sluice.jobcomp --topic sluice.node.commands --topic sluice.node.events --topic sluice.scheduler.state --topic sluice.step.events

user submit
allow submit literal --operation Write --topic sluice.job.commands
allow submit literal --operation Read --topic sluice.accounting.events --topic sluice.identity.events --topic sluice.job.commands --topic sluice.job.events
allow submit prefixed --operation Read --group sluice-submit
allow submit literal --operation Describe --topic sluice.accounting.events --topic sluice.identity.events --topic sluice.job.commands --topic sluice.job.events --topic sluice.jobcomp --topic sluice.node.commands --topic sluice.node.events --topic sluice.scheduler.state --topic sluice.step.events

user accounting
allow accounting literal --operation Write --topic sluice.accounting.events --topic sluice.jobcomp
allow accounting literal --operation Read --topic sluice.identity.events --topic sluice.job.commands --topic sluice.job.events --topic sluice.step.events
allow accounting prefixed --operation Read --group sluice-accounting
allow accounting literal --operation Describe --topic sluice.accounting.events --topic sluice.identity.events --topic sluice.job.commands --topic sluice.job.events --topic sluice.jobcomp --topic sluice.node.commands --topic sluice.node.events --topic sluice.scheduler.state --topic sluice.step.events

user identity
allow identity literal --operation Write --topic sluice.identity.events
allow identity literal --operation Read --topic sluice.identity.events
allow identity prefixed --operation Write --transactional-id sluice-identity
allow identity prefixed --operation Describe --transactional-id sluice-identity
allow identity literal --operation Describe --topic sluice.accounting.events --topic sluice.identity.events --topic sluice.job.commands --topic sluice.job.events --topic sluice.jobcomp --topic sluice.node.commands --topic sluice.node.events --topic sluice.scheduler.state --topic sluice.step.events

IFS=',' read -ra NODES <<< "$SLUICE_NODES"
for node in "${NODES[@]}"; do
  user "node-$node"
  allow "node-$node" literal --operation Write --topic sluice.node.events --topic sluice.step.events
  allow "node-$node" literal --operation Read --topic sluice.identity.events --topic sluice.node.commands --topic sluice.node.events
  allow "node-$node" literal --operation Read --group "sluice-node-$node"
  allow "node-$node" literal --operation Describe --topic sluice.accounting.events --topic sluice.identity.events --topic sluice.job.commands --topic sluice.job.events --topic sluice.jobcomp --topic sluice.node.commands --topic sluice.node.events --topic sluice.scheduler.state --topic sluice.step.events
done
echo "Kafka users and ACLs applied for: scheduler submit accounting identity and nodes $SLUICE_NODES"
