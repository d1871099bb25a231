/**
 * TLS to the database, on whichever server the pass points at (scripts/test.sh runs this file against MariaDB
 * and against MySQL 9.7): an account that requires TLS streams with MYSQL_SSL_MODE=VERIFY_IDENTITY and the
 * stack's CA (scripts/stack/lib.sh, stack_tls), so both of the source's connections use it; a CA that did not sign
 * the server's certificate stops the source with exit 2 naming MYSQL_SSL_CA.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config.js';
import { mysqlOptions } from '../../src/mysql.js';
import { adminConnection, config, freshId } from './helpers.js';
import { changesOnly, isolatedSource, readTopic, startSource, stopSource, streamingSource, waitCaughtUp } from './source-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const stackCa = join(process.env.STACK_DIR ?? join(root, '.stack'), 'tls', 'ca.pem');
const user = 'cdc_tls';
const password = 'cdc-tls-local';

test('an account that requires TLS streams with VERIFY_IDENTITY and the stack\'s CA', async (t) => {
  const admin = await adminConnection();
  t.after(async () => {
    await admin.query('DROP USER IF EXISTS ?@?', [user, '127.0.0.1']);
    await admin.end();
  });
  await admin.query('DROP USER IF EXISTS ?@?', [user, '127.0.0.1']);
  await admin.query('CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [user, '127.0.0.1', password]);
  await admin.query('GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ?@?', [user, '127.0.0.1']);
  await admin.query(`GRANT SELECT ON \`${config.mysql.database}\`.\`${config.mysql.table}\` TO ?@?`, [user, '127.0.0.1']);
  const tls = { MYSQL_USER: user, MYSQL_PASSWORD: password, MYSQL_SSL_MODE: 'VERIFY_IDENTITY', MYSQL_SSL_CA: stackCa };

  const direct = await mysql.createConnection(mysqlOptions(loadConfig({ ...process.env, ...tls }), 'pipeline'));
  const [[cipher]] = await direct.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  await direct.end();
  assert.ok(cipher?.Value, 'the pipeline\'s connection is encrypted');

  const { env, source } = await streamingSource(t, tls);
  const id = freshId();
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'over TLS', 'Toys', 1)", [id]);
  await waitCaughtUp(env, admin);
  const landed = changesOnly(await readTopic(env.KAFKA_TOPIC)).filter((l) => l.key === String(id));
  assert.equal(landed.length, 1, 'the change read over the TLS binlog connection landed once');
  assert.equal(await stopSource(source), 0);
});

test('a CA that did not sign the server\'s certificate: the source stops with exit 2 naming MYSQL_SSL_CA', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-stranger-ca-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=stranger',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')], { stdio: 'ignore' });
  const source = startSource(isolatedSource({ MYSQL_SSL_MODE: 'VERIFY_CA', MYSQL_SSL_CA: join(dir, 'ca.pem') }));
  t.after(() => stopSource(source, 'SIGKILL'));
  const code = await Promise.race([source.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000).unref())]);
  assert.equal(code, 2, source.output().slice(-1500));
  assert.match(source.output(), /TLS refused .*check MYSQL_SSL_CA/);
});
