/**
 * /metrics (Prometheus text), /healthz (the process answers) and /readyz (connected and making progress:
 * 200, or 503 with the reasons) for one process. Loopback by default; METRICS_HOST=0.0.0.0 to scrape from
 * elsewhere.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, type Gauge, type Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';

export interface OpsServerOptions {
  host: string;
  port: number;
  /** The setting that chose the port, named when it cannot be bound. */
  portSetting: string;
  registry: Registry;
  /** Why the process is not ready; empty when it is. */
  notReady: () => string[];
  readyGauge: Gauge;
  logger: Logger;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  // Process RSS, heap, event-loop lag and CPU come with prom-client's defaults.
  collectDefaultMetrics({ register: o.registry });
  const started = Date.now();
  const reasons = () => {
    const why = o.notReady();
    o.readyGauge.set(why.length === 0 ? 1 : 0);
    return why;
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'GET only' });
    if (path === '/healthz') return json(200, { alive: true, uptimeSeconds: Math.round((Date.now() - started) / 1000) });
    if (path === '/readyz') {
      const why = reasons();
      return json(why.length === 0 ? 200 : 503, why.length === 0 ? { ready: true } : { ready: false, reasons: why });
    }
    if (path === '/metrics') {
      reasons();
      o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(text),
        (err: Error) => json(500, { error: err.message }),
      );
      return;
    }
    json(404, { error: 'try /metrics, /healthz or /readyz' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ConfigError(
      `${o.portSetting}=${o.port}: cannot listen on ${o.host}:${o.port} (${err.code ?? err.message}); choose a free port, 0 for any, or off`)));
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.logger.info(`metrics on http://${o.host}:${port}/metrics, health on /healthz and /readyz`, { metricsPort: port });
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
