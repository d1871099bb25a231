#!/usr/bin/env bash
# What is up, on which port, and where each service logs. Exits 1 when something is down. A database counts
# when STACK_MYSQL_SERVER names it; otherwise it is listed only while it runs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mariadb.sh"
source "$(dirname "$0")/mysql.sh"
source "$(dirname "$0")/mariadb11.sh"
source "$(dirname "$0")/kafka.sh"
source "$(dirname "$0")/kafka3.sh"
source "$(dirname "$0")/registry.sh"
rc=0
databases=" $(default_databases) "
[[ $databases == *" mariadb "* ]] && { mariadb_status || rc=1; }
if [[ $databases == *" mariadb11 "* ]]; then mariadb11_status || rc=1
elif pid_alive "$MARIADB11_PID"; then mariadb11_status || true; fi
if [[ $databases == *" mysql "* ]]; then mysql97_status || rc=1
elif pid_alive "$MYSQL_PID"; then mysql97_status || true; fi
kafka_status || rc=1
if pid_alive "$(kafka3_pidfile 1)" || pid_alive "$(kafka3_pidfile 2)" || pid_alive "$(kafka3_pidfile 3)"; then kafka3_status || true; fi
registry_status || rc=1
exit $rc
