#!/usr/bin/env bash
# What is up, on which port, and where each service logs. Exits 1 when something is down.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mariadb.sh"
source "$(dirname "$0")/kafka.sh"
source "$(dirname "$0")/registry.sh"
rc=0
mariadb_status || rc=1
kafka_status || rc=1
registry_status || rc=1
exit $rc
