#!/usr/bin/env bash
# npm run demo: installs what is missing, brings the local stack up, writes catalogue changes into MariaDB and
# shows where they are. The source daemon and the consumer pool join this demo as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/stack/up.sh
echo
echo "== writing 2,000 new products, 1,000 price changes and 200 deletions in transactions of 50"
node --import tsx src/cli/generate.ts --rows 2000 --updates 1000 --deletes 200 --tx-size 50
echo
echo "== the catalogue now"
bash scripts/stack/sql.sh -t -e "SELECT category, COUNT(*) AS products, ROUND(AVG(price), 2) AS avg_price
  FROM product GROUP BY category ORDER BY category"
echo "== the binlog the source daemon reads"
bash scripts/stack/sql.sh -t -e "SHOW BINARY LOGS; SELECT @@gtid_binlog_pos AS gtid_position"
echo
bash scripts/stack/status.sh
echo
echo "The binlog source (npm run source) and the consumer pool (npm run consumers) are not built yet;"
echo "this demo stops after the stack and the generator."
