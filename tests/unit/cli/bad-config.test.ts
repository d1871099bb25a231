/**
 * The commands themselves, as an operator runs them: a bad setting stops them before any connection, with
 * one line on stderr naming the key, and exit code 2. No service is needed (nothing is reached).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'cdc-cli-'));

function run(command: string, env: Record<string, string>, args: string[] = []) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', `src/cli/${command}.ts`, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, encoding: 'utf8', timeout: 60_000,
  });
  return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

const cases: Array<[string, Record<string, string>, RegExp]> = [
  ['missing broker list', { KAFKA_BROKERS: '' }, /^start: KAFKA_BROKERS is set but empty/],
  ['non-numeric pool size', { POOL_SIZE: 'five' }, /^start: POOL_SIZE="five" is not a whole number from 1 to 64\n$/],
  ['unknown cold-start policy', { COLD_START: 'newest' }, /^start: COLD_START="newest": expected snapshot, latest or watermark:<ISO time>/],
  ['unreadable TLS file', { KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SSL_CA_LOCATION: join(dir, 'absent-ca.pem') },
    /^start: KAFKA_SSL_CA_LOCATION=".*absent-ca\.pem" cannot be read \(ENOENT\); give the path of a PEM file/],
];

for (const [what, env, message] of cases) {
  test(`the start command, ${what}: one stderr line naming the key, exit 2, nothing on stdout`, () => {
    const r = run('start', env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing started, nothing logged');
  });
}

test('source, consumers and status refuse bad settings the same way', () => {
  for (const command of ['source', 'consumers', 'status']) {
    const r = run(command, { POOL_SIZE: 'many' });
    assert.equal(r.code, 2, `${command}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^${command}: POOL_SIZE="many" is not a whole number`));
  }
  const r = run('source', {}, ['--verbose']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^source: Unknown option '--verbose'.*Usage: cdc source/);
});

test('--print-config prints the effective settings with secrets redacted, then exits 0', () => {
  const file = join(dir, 'prod.env');
  writeFileSync(file, 'KAFKA_SECURITY_PROTOCOL=SASL_SSL\nKAFKA_SASL_USERNAME=cdc\nKAFKA_SASL_PASSWORD=sasl-file-secret\nPOOL_SIZE=3\n');
  const r = run('start', { MYSQL_PASSWORD: 'mysql-env-secret', POOL_SIZE: '4' }, ['--config', file, '--print-config']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes('sasl-file-secret') && !r.stdout.includes('mysql-env-secret'), r.stdout);
  assert.match(r.stdout, /^#KAFKA_SASL_PASSWORD=\*\*\*$/m);
  assert.match(r.stdout, /^#MYSQL_PASSWORD=\*\*\*$/m);
  assert.match(r.stdout, /^# from the environment\n(?:.*\n)*?POOL_SIZE=4$/m, 'the environment wins over the file');
  assert.match(r.stdout, /^# from .*prod\.env\n(?:.*\n)*?KAFKA_SASL_USERNAME=cdc$/m);
  const bad = run('consumers', {}, ['--config', file.replace('prod', 'absent'), '--print-config']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^consumers: config file .*absent\.env cannot be read \(ENOENT\)/);
});
