/**
 * Test-only crash points. `CDC_FAULT=<point>[:<n>]` kills this process with SIGKILL the n-th time (default the
 * first) it passes the named point, so the fault suite can crash exactly where exactly-once is hardest. Without
 * the variable every point is a no-op comparison.
 */
const [armed = '', nth = '1'] = (process.env.CDC_FAULT ?? '').split(':');
const fireAt = Math.max(1, Number(nth) || 1);
let hits = 0;

export function crashPoint(point: string): void {
  if (point !== armed) return;
  hits++;
  if (hits >= fireAt) process.kill(process.pid, 'SIGKILL');
}
