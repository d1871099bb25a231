/** What the pipeline's accounts and files allow: least privilege in the database, private output files. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { adminConnection, freshId, pipelineConnection, uniqueName } from '../integration/helpers.js';
import { startCommand } from '../integration/process.js';
import { isolatedSource, startSource, stopSource, waitFor } from '../integration/source-helpers.js';
import { countLines, startPool, stopPool } from '../integration/pool-helpers.js';
import { faultPipeline } from './harness.js';
import { record } from './report.js';

test('the pipeline\'s database account can read the binlog and SELECT the table, and is refused INSERT, UPDATE, DELETE, DROP, CREATE and mysql.user', async () => {
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

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`Kafka over SASL/${mechanism}: the source and the pool stream; status names a wrong password as refused credentials`, { timeout: 300_000 }, async (t) => {
    const sasl = {
      KAFKA_BROKERS: `127.0.0.1:${process.env.STACK_KAFKA_SASL_PORT ?? '9094'}`, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'cdc', KAFKA_SASL_PASSWORD: 'cdc-sasl-local', // scripts/stack/lib.sh
    };
    const env = { ...isolatedSource(), ...sasl };
    const source = startSource(env);
    t.after(() => stopSource(source, 'SIGKILL'));
    await waitFor(`the source streaming over ${mechanism}`, async () => source.output().includes('starting at the binlog'), 90_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${source.output().slice(-1500)}`); });
    const poolEnv = { ...sasl, KAFKA_TOPIC: env.KAFKA_TOPIC, KAFKA_GROUP: uniqueName('scram'), OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'scram-')) };
    const pool = startPool(poolEnv);
    t.after(() => stopPool(pool, 'SIGKILL'));
    const admin = await adminConnection();
    t.after(() => admin.end());
    const ids = [freshId(), freshId()];
    await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [ids.map((id) => [id, 'scram', 'Toys', 1])]);
    await waitFor('two lines over SCRAM', async () => countLines(poolEnv.OUTPUT_DIR) === 2, 90_000);
    const refused = startCommand('src/cli/status.ts', { ...env, KAFKA_SASL_PASSWORD: 'not-it-9' });
    assert.equal(await refused.exited, 1, refused.output());
    assert.match(refused.output(), /Kafka refused the credentials/);
    record({ suite: 'security', fault: `Kafka over SASL/${mechanism}, and a wrong password`, outcome: 'source and pool stream over it; a wrong password is named as refused credentials within seconds', lost: null, duplicated: null });
  });
}
