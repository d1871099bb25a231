import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger, flushLogger } from '../../../src/log.js';

async function capture(format: 'json' | 'pretty', write: (log: ReturnType<typeof createLogger>) => void): Promise<string> {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (c: Buffer) => { out += c.toString(); });
  const logger = createLogger({ format, secrets: ['hunter2-secret', 'sasl-pw-42'], stream });
  write(logger);
  await flushLogger(logger);
  return out;
}

for (const format of ['json', 'pretty'] as const) {
  test(`${format} logs scrub secrets from messages, fields, nested fields and stacks`, async () => {
    const out = await capture(format, (log) => {
      const child = log.child({ component: 'consumer-3' });
      child.error(new Error('auth failed for sasl.password=sasl-pw-42'));
      child.warn('connecting with hunter2-secret', { config: { 'sasl.password': 'sasl-pw-42', list: ['hunter2-secret'] } });
      child.info('plain line');
    });
    assert.ok(!out.includes('hunter2-secret'), out);
    assert.ok(!out.includes('sasl-pw-42'), out);
    assert.equal((out.match(/\*\*\*/g) ?? []).length, 5, 'each secret replaced where it was: message and stack of the error, the warning, two nested fields');
    assert.match(out, /plain line/);
    assert.match(out, /consumer-3/);
    if (format === 'json') {
      const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 3);
      assert.equal(lines[0]!.component, 'consumer-3');
      assert.match(String(lines[0]!.stack), /Error: auth failed for sasl\.password=\*\*\*\n\s+at /, 'errors carry their stack');
    }
  });
}

test('secrets of one to three characters are scrubbed where they stand alone, not out of other words', async () => {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (c: Buffer) => { out += c.toString(); });
  const logger = createLogger({ format: 'json', secrets: ['ab', 'x', 'p$w'], stream });
  logger.warn('login cdc:ab@127.0.0.1 refused (password "x"), then p$w; about the table xyz');
  await flushLogger(logger);
  const { message } = JSON.parse(out) as { message: string };
  assert.equal(message, 'login cdc:***@127.0.0.1 refused (password "***"), then ***; about the table xyz');
});
