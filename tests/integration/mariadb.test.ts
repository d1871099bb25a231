import assert from 'node:assert/strict';
import { test } from 'node:test';
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import { adminConnection, config, freshId, pipelineConnection } from './helpers.js';

test('a row inserted in MariaDB shows in the binlog, 4-byte UTF-8 intact', async (t) => {
  const admin = await adminConnection();
  t.after(() => admin.end());
  const id = freshId();
  const name = 'Lamp 💡';

  const zongji = new ZongJi({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.user,
    password: config.mysql.password,
    charset: 'utf8mb4',
  });
  t.after(() => zongji.stop());
  const seen = new Promise<Record<string, unknown>>((resolve, reject) => {
    zongji.on('error', reject);
    zongji.on('binlog', (event: AnyBinlogEvent) => {
      if (event.getEventName() !== 'writerows' || !('rows' in event)) return;
      const row = (event.rows as Array<Record<string, unknown>>).find((r) => r.id === id);
      if (row) resolve(row);
    });
  });
  await new Promise<void>((resolve) => {
    zongji.on('ready', () => resolve());
    zongji.start({
      serverId: 50_000 + (process.pid % 10_000),
      startAtEnd: true,
      includeEvents: ['tablemap', 'writerows'],
      includeSchema: { [config.mysql.database]: [config.mysql.table] },
    });
  });

  await admin.query('INSERT INTO product (id, name, category, price) VALUES (?, ?, NULL, 19.99)', [id, name]);
  const row = await seen;
  assert.equal(row.name, name);
  assert.equal(row.category, null);
  assert.equal(Math.fround(row.price as number), Math.fround(19.99), 'FLOAT arrives as the stored float32');

  const [rows] = await admin.query<Array<{ name: string } & import('mysql2').RowDataPacket>>(
    'SELECT name FROM product WHERE id = ?', [id]);
  assert.equal(rows[0]?.name, name, 'the table stores the 4-byte character too');
  await admin.query('DELETE FROM product WHERE id = ?', [id]);
});

test('the server is configured for row-based CDC', async (t) => {
  const conn = await pipelineConnection();
  t.after(() => conn.end());
  const [rows] = await conn.query<Array<{ Variable_name: string; Value: string } & import('mysql2').RowDataPacket>>(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN
     ('log_bin','binlog_format','binlog_row_image','binlog_row_metadata','character_set_server','time_zone')`);
  const vars = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
  assert.deepEqual(vars, {
    log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL',
    character_set_server: 'utf8mb4', time_zone: '+00:00',
  });
});

test('the pipeline account can read the table and the binlog, and is refused INSERT, UPDATE, DELETE, DROP, CREATE and mysql.user', async (t) => {
  const conn = await pipelineConnection();
  t.after(() => conn.end());
  await conn.query('SELECT id, name, category, price, last_updated FROM product LIMIT 1');
  await conn.query('SHOW BINARY LOGS');

  const denied = async (sql: string, code: string) =>
    assert.rejects(conn.query(sql), (err: { code?: string }) => {
      assert.equal(err.code, code, sql);
      return true;
    });
  await denied(`INSERT INTO product (id, name) VALUES (${freshId()}, 'x')`, 'ER_TABLEACCESS_DENIED_ERROR');
  await denied('UPDATE product SET price = 0', 'ER_TABLEACCESS_DENIED_ERROR');
  await denied('DELETE FROM product', 'ER_TABLEACCESS_DENIED_ERROR');
  await denied('DROP TABLE product', 'ER_TABLEACCESS_DENIED_ERROR');
  await denied('CREATE TABLE sneaky (id INT)', 'ER_TABLEACCESS_DENIED_ERROR');
  await denied('SELECT * FROM mysql.user', 'ER_TABLEACCESS_DENIED_ERROR');
});
