/** Shared set-up for tests against the running local stack (`npm run stack:up`). */
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
 * however much data a benchmark has generated.
 */
export function freshId(): number {
  return -1 - Math.floor(Math.random() * 2_000_000_000);
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
