/**
 * Every command answers --help and -h with its usage and every option with its default, on stdout, exit 0;
 * --version names the version; an unknown option still exits 2 with the usage. No service is needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { allOptions, COMMANDS } from '../../../src/cli/commands.js';

function run(command: string, args: string[]) {
  const entry = command === 'cdc' ? 'src/cli/cdc.ts' : `src/cli/${command}.ts`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, encoding: 'utf8', timeout: 60_000,
  });
  return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

for (const spec of COMMANDS.filter((c) => c.name !== 'stack')) {
  test(`${spec.name} --help and -h: usage and every option with its default, exit 0; an unknown option exits 2`, () => {
    for (const flag of ['--help', '-h']) {
      const r = run(spec.name, [flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, new RegExp(`^Usage: cdc ${spec.name} `, 'm'));
      for (const o of allOptions(spec)) {
        assert.ok(r.stdout.includes(`--${o.name}`), `${spec.name} --help lists --${o.name}`);
        if (o.default) assert.ok(r.stdout.includes(`(default: ${o.default})`), `${spec.name}: --${o.name} shows its default`);
      }
    }
    const bad = run(spec.name, ['--no-such-option']);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, new RegExp(`Unknown option '--no-such-option'.*Usage: cdc ${spec.name} `));
  });
}

test('--version on a command and on cdc names the package version, Node and librdkafka', () => {
  for (const r of [run('status', ['--version']), run('cdc', ['--version']), run('cdc', ['replay', '--version'])]) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^cdc ${version.replace(/\./g, '\\.')} \\(node v\\d+\\.\\d+\\.\\d+, librdkafka \\d+\\.\\d+\\.\\d+\\)\\n$`));
  }
});

test('cdc lists its commands; an unknown command is exit 2 with the list', () => {
  const r = run('cdc', ['--help']);
  assert.equal(r.code, 0);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c.name} `, 'm'));
  const bad = run('cdc', ['sauce']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^cdc: unknown command "sauce"; one of source, consumers/);
  assert.equal(run('cdc', []).code, 2, 'no command: usage, exit 2');
});

test('a negative number where a value is expected (--rows -5) exits 2 suggesting --rows=<value>', () => {
  const r = run('generate', ['--rows', '-5']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rows takes a value that starts with "-": write it as --rows=<value>/);
});
