/**
 * Services failing under a running pipeline: Kafka stopped for 30 s, MariaDB restarted, the registry stopped and
 * started again, while changes keep being written. Each is survived with every change once in the output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminConnection, freshId } from '../integration/helpers.js';
import { waitFor } from '../integration/source-helpers.js';
import { faultPipeline } from './harness.js';
import { record, tally } from './report.js';

function stack(action: 'up' | 'down', service: 'kafka' | 'mariadb' | 'registry'): void {
  const res = spawnSync('bash', [new URL(`../../scripts/stack/${action}.sh`, import.meta.url).pathname, service], { encoding: 'utf8' });
  assert.equal(res.status, 0, `stack ${action} ${service}: ${res.stderr}`);
}

for (const [service, downMs, what] of [
  ['kafka', 30_000, 'Kafka stopped for 30 s mid-stream'],
  ['mariadb', 5_000, 'MariaDB stopped and restarted mid-stream'],
  ['registry', 15_000, 'the schema registry stopped for 15 s mid-stream'],
] as const) {
  test(`${what}: every change written before${service === 'mariadb' ? '' : ', during'} and after arrives once`, { timeout: 600_000 }, async (t) => {
    t.after(() => stack('up', service));
    const p = await faultPipeline(t);
    const ids: number[] = [];
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const id = freshId();
        await p.admin.query('INSERT INTO product (id, name, category, price) VALUES (?, ?, ?, ?)', [id, 'svc', 'Toys', 1]);
        ids.push(id);
      }
    };
    await write(50);
    await p.waitLines(ids, 50, 'the first lines');
    stack('down', service);
    if (service !== 'mariadb') await write(50); // written while Kafka or the registry is away
    await sleep(downMs);
    stack('up', service);
    if (service === 'mariadb') {
      await p.admin.end().catch(() => undefined);
      p.admin = await adminConnection();
    }
    await write(50);
    const lines = await p.waitLines(ids, ids.length, `all ${ids.length} lines after ${service} came back`);
    await sleep(2000);
    const final = p.linesOf(ids);
    const counts = tally(final.map((l) => `${l._meta.partition}:${l._meta.offset}`), ids.length);
    record({
      suite: 'service faults', fault: `${what}, with changes written before${service === 'mariadb' ? '' : ', during'} and after`,
      outcome: 'the source and the consumers wait and say why (not ready on /readyz), then resume from their positions', ...counts,
    });
    assert.deepEqual(counts, { lost: 0, duplicated: 0 });
    assert.ok(lines.length >= ids.length);
    await waitFor('the source to still be running', async () => p.source.proc.exitCode === null, 1000);
  });
}
