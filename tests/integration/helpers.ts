/** Shared set-up for tests against the running local stack (`npm run stack:up`). */
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import mysql from 'mysql2/promise';
import { loadConfig, type Config } from '../../src/config.js';
import { mysqlOptions } from '../../src/mysql.js';

export const config: Config = loadConfig();

/** A connection as the shop's admin account: writes, DDL and binlog administration. */
export function adminConnection(): Promise<mysql.Connection> {
  return mysql.createConnection(mysqlOptions(config, 'admin'));
}

/** A connection as the pipeline's own least-privilege account. */
export function pipelineConnection(): Promise<mysql.Connection> {
  return mysql.createConnection(mysqlOptions(config, 'pipeline'));
}

/**
 * Test rows get negative ids: the generator only counts up from the largest id, so the two never meet,
 * however much data a benchmark has generated. Every test file writes to the one shared table and most leave their
 * rows there, across files and runs, so random ids collided now and then (a duplicate-key error mid-test in CI).
 * Instead each process reserves blocks of ids by creating a file per block in the stack's own state directory: a
 * block is never handed out twice while that directory lives (a re-created database only leaves blocks unused).
 * Single ids come from [-1, -1e9], contiguous ranges from below that, above the fixed ranges of the fault tests.
 */
const SINGLE = { top: -1, blockSize: 10_000, blocks: 100_000 } as const;
const RANGES = { top: -1_000_000_001, blockSize: 10_000, blocks: 100_000 } as const;
let singles: { next: number; left: number } = { next: 0, left: 0 };

function reserveBlock(region: typeof SINGLE | typeof RANGES, count = 1): number {
  const dir = join(process.env.STACK_DIR ?? fileURLToPath(new URL('../../.stack', import.meta.url)), 'test-ids', String(config.mysql.port));
  mkdirSync(dir, { recursive: true });
  const first = Math.floor(Math.random() * (region.blocks - count + 1));
  for (let i = 0; i + count <= region.blocks; i++) {
    const b = (first + i) % (region.blocks - count + 1);
    let k = 0;
    try {
      for (; k < count; k++) closeSync(openSync(join(dir, `${region.top}.${b + k}`), 'wx'));
      return region.top - b * region.blockSize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Part of the run was free: given back, so a run of blocks is not lost to one taken block.
      for (let j = 0; j < k; j++) rmSync(join(dir, `${region.top}.${b + j}`), { force: true });
    }
  }
  throw new Error(`every test id block under ${dir} is taken; remove that directory together with the product table's negative ids`);
}

export function freshId(): number {
  if (singles.left === 0) singles = { next: reserveBlock(SINGLE), left: SINGLE.blockSize };
  singles.left--;
  return singles.next--;
}

/** n consecutive ids, counting down, in blocks no other test process is given. */
export function freshIdRange(n: number): number[] {
  const top = reserveBlock(RANGES, Math.ceil(n / RANGES.blockSize));
  return Array.from({ length: n }, (_, i) => top - i);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** A loopback port with nothing behind it (yet): a service that is down. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
}

/** Opens `port` as a TCP forwarder to a real service: the service "comes up" there. */
export function forward(port: number, host: string, targetPort: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = tcpConnect(targetPort, host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * A forwarder whose open connections can be frozen: bytes stop both ways while both sockets stay open, as on a
 * network that drops packets without a reset. Connections made after a freeze flow normally.
 */
export async function freezableForward(port: number, host: string, targetPort: number): Promise<{ freeze(): void; close(): void }> {
  const pairs: Array<[Socket, Socket]> = [];
  const server = createServer((client) => {
    const upstream = tcpConnect(targetPort, host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const frozen: Socket[] = [];
  return {
    freeze: () => {
      for (const [client, upstream] of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        frozen.push(client, upstream);
      }
    },
    // A frozen socket never ends by itself: without this the test process would wait for it forever.
    close: () => {
      for (const socket of [...frozen, ...pairs.flat()]) socket.destroy();
      server.close();
    },
  };
}
