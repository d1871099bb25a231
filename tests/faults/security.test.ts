/** What the pipeline's accounts and files allow: least privilege in the database, private output files. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freshId, pipelineConnection } from '../integration/helpers.js';
import { countLines, startPool, stopPool } from '../integration/pool-helpers.js';
import { faultPipeline } from './harness.js';
import { record } from './report.js';

test('the pipeline\'s database account can read the binlog and SELECT the table, and nothing else', async () => {
  const conn = await pipelineConnection();
  try {
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM product');
    assert.ok(Array.isArray(rows));
    await conn.query('SHOW BINARY LOGS');
    const refused: string[] = [];
    for (const sql of ['INSERT INTO product (id, name) VALUES (-1, \'x\')', 'UPDATE product SET name = \'x\' WHERE id = -1',
      'DELETE FROM product WHERE id = -1', 'DROP TABLE product', 'CREATE TABLE shop.cdc_probe (id INT)', 'SELECT COUNT(*) FROM mysql.user']) {
      await assert.rejects(conn.query(sql), (err: { code?: string }) => {
        refused.push(`${sql.split(' ')[0]}: ${err.code}`);
        return /DENIED/.test(err.code ?? '');
      }, sql);
    }
    record({ suite: 'security', fault: 'the pipeline account (cdc) trying INSERT, UPDATE, DELETE, DROP, CREATE and reading mysql.user', outcome: `each refused by the server (${refused.join('; ')}); SELECT on shop.product and the binlog allowed`, lost: null, duplicated: null });
  } finally {
    await conn.end();
  }
});

test('output files are created with OUTPUT_FILE_MODE (0640 by default, 0600 when set)', { timeout: 300_000 }, async (t) => {
  const p = await faultPipeline(t);
  const id = freshId();
  await p.admin.query('INSERT INTO product (id, name, category, price) VALUES (?, ?, ?, ?)', [id, 'mode', 'Toys', 1]);
  await p.waitLines([id], 1, 'one line');
  const modes = readdirSync(p.poolEnv.OUTPUT_DIR).filter((f) => f.includes('.jsonl')).map((f) => statSync(join(p.poolEnv.OUTPUT_DIR, f)).mode & 0o777);
  assert.ok(modes.length > 0 && modes.every((m) => m === 0o640), modes.map((m) => m.toString(8)).join(' '));
  const strict = { ...p.poolEnv, KAFKA_GROUP: `${p.poolEnv.KAFKA_GROUP}-strict`, OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'faults-mode-')), OUTPUT_FILE_MODE: '0600' };
  const pool = startPool(strict);
  t.after(() => stopPool(pool, 'SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  await (async () => { for (let i = 0; i < 600 && countLines(strict.OUTPUT_DIR) === 0; i++) await new Promise((r) => setTimeout(r, 100)); })();
  assert.equal(await stopPool(pool), 0);
  const strictModes = readdirSync(strict.OUTPUT_DIR).filter((f) => f.includes('.jsonl')).map((f) => statSync(join(strict.OUTPUT_DIR, f)).mode & 0o777);
  assert.ok(strictModes.length > 0 && strictModes.every((m) => m === 0o600), strictModes.map((m) => m.toString(8)).join(' '));
  record({ suite: 'security', fault: 'who can read the output files', outcome: 'segments are created 0640 (owner writes, group reads); OUTPUT_FILE_MODE=0600 makes them private', lost: null, duplicated: null });
});
