#!/usr/bin/env bash
# Starts the production broker in the apache/kafka image: renders server.properties with the admin password,
# formats the storage on first start with the admin's SCRAM credential (no one could create it later: every
# request needs an authenticated super user), writes the admin client config the healthcheck and setup job use,
# and runs Kafka. Environment: KAFKA_ADMIN_PASSWORD (letters, digits and ._~+- only: it goes into JAAS quotes and
# the storage tool's [name=...,password=...] syntax), optional KAFKA_CLUSTER_ID.
set -euo pipefail
: "${KAFKA_ADMIN_PASSWORD:?the broker admin password}"
if [[ ! "$KAFKA_ADMIN_PASSWORD" =~ ^[A-Za-z0-9._~+-]+$ ]]; then
  echo "KAFKA_ADMIN_PASSWORD may hold only letters, digits and ._~+-" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
CONF=/tmp/sluice-kafka
mkdir -p "$CONF"
chmod 700 "$CONF"
umask 077
sed "s/@ADMIN_PASSWORD@/$KAFKA_ADMIN_PASSWORD/g" "$HERE/server.properties.template" > "$CONF/server.properties"
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="%s";\n' \
  "$KAFKA_ADMIN_PASSWORD" > "$CONF/admin.properties"
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  /opt/kafka/bin/kafka-storage.sh format --config "$CONF/server.properties" \
    --cluster-id "${KAFKA_CLUSTER_ID:-$(/opt/kafka/bin/kafka-storage.sh random-uuid)}" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]" --ignore-formatted
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONF/server.properties"
