/**
 * The benchmark's own catalogue table: every workload goes to `<MYSQL_DATABASE>.bench_product` (the seed's
 * columns, created here when missing), never to shop.product, so nothing another test or a user left there (a
 * NULL category the seed's schema cannot carry, a column a test added) changes what is measured or what a peer can
 * read. Imported first by each bench entry point: it sets MYSQL_TABLE before any module reads the configuration,
 * and every process the bench launches inherits it.
 */
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config.js';
import { mysqlOptions } from '../../src/mysql.js';

export const BENCH_TABLE = process.env.BENCH_TABLE ?? 'bench_product';
process.env.MYSQL_TABLE = BENCH_TABLE;

const config = loadConfig();
const admin = await mysql.createConnection(mysqlOptions(config, 'admin'));
try {
  // The seed's definition (mysql-conf/init/10-product.sql), not CREATE … LIKE product: that would copy added columns.
  await admin.query(`CREATE TABLE IF NOT EXISTS \`${BENCH_TABLE}\` (
    id INT PRIMARY KEY, name VARCHAR(255), category VARCHAR(255), price FLOAT,
    last_updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    KEY idx_last_updated (last_updated, id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  await admin.query(`GRANT SELECT ON \`${config.mysql.database}\`.\`${BENCH_TABLE}\` TO '${config.mysql.user}'@'127.0.0.1', '${config.mysql.user}'@'localhost'`);
} finally {
  await admin.end();
}
