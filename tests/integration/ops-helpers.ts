/** Scraping a running daemon's /metrics, /healthz and /readyz, and running `npm run status`. */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { StatusReport } from '../../src/ops/status.js';
import type { Running } from './process.js';
import { waitFor } from './source-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The port a daemon started with *_METRICS_PORT=0 logged that it listens on. */
export function metricsPort(r: Running): Promise<number> {
  return waitFor('the metrics port in the log', async () => {
    const m = /"metricsPort":(\d+)/.exec(r.output());
    return m ? Number(m[1]) : undefined;
  }, 60_000);
}

/** Sum of every series of a metric (all label combinations) in Prometheus text, or undefined when absent. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

/** One GET on a fresh connection (no keep-alive: a pooled socket the server closed meanwhile would fail the call). */
export function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)));
  });
}

export async function scrape(port: number): Promise<string> {
  const res = await get(port, '/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.body;
}

export async function readiness(port: number): Promise<{ status: number; body: { ready: boolean; reasons?: string[] } }> {
  const res = await get(port, '/readyz');
  return { status: res.status, body: JSON.parse(res.body) as { ready: boolean; reasons?: string[] } };
}

export function runStatus(env: Record<string, string>, args: string[] = ['--json']): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/status.ts', ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function statusJson(env: Record<string, string>, extra: string[] = []): Promise<StatusReport> {
  const r = await runStatus(env, ['--json', ...extra]);
  if (r.code !== 0) throw new Error(`npm run status exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as StatusReport;
}
