/**
 * One supervisor per output files: two supervisors appending to the same consumer-N.jsonl, each with its own
 * in-memory index, could write an offset twice, and one's start-up repair could cut the other's last line.
 * The lock is a file in OUTPUT_DIR (per POOL_INSTANCE) naming its holder and refreshed every few seconds, so
 * a holder that died (kill -9, a crashed host, a recreated container) is recognised: on the same host by its
 * pid, anywhere by the lock going unrefreshed. "Unrefreshed" is judged by watching its mtime not change for a
 * while by this process's own clock, never by comparing it with the clock here (hosts sharing a directory may
 * disagree about the time).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';

const HEARTBEAT_MS = 5_000;
/** A lock not refreshed for this long belongs to a holder that is gone. */
const STALE_MS = 20_000;

/** Another live supervisor writes these files. Exit code 2: a deployment mistake, not a transient fault. */
export class OutputInUseError extends PipelineError {
  override get exitCode(): number {
    return 2;
  }
}

interface Holder {
  host: string;
  pid: number;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class OutputLock {
  private constructor(private readonly path: string, private readonly timer: NodeJS.Timeout) {}

  /** `onLost` is called when the lock turns out to be someone else's (taken over while this process stalled). */
  static async acquire(dir: string, instance: string, log: Logger, onLost: (why: string) => void = () => undefined,
    timing = { heartbeatMs: HEARTBEAT_MS, staleMs: STALE_MS }): Promise<OutputLock> {
    const { heartbeatMs, staleMs } = timing;
    const path = join(dir, instance ? `.pool-${instance}.lock` : '.pool.lock');
    const me: Holder = { host: hostname(), pid: process.pid, since: new Date().toISOString() };
    const deadline = Date.now() + staleMs + heartbeatMs;
    let told = false;
    let watched: { mtimeMs: number; sinceMs: number } | undefined;
    for (;;) {
      try {
        await writeFile(path, `${JSON.stringify(me)}\n`, { flag: 'wx' });
        const timer = setInterval(() => void heartbeat(path, me, log, onLost), heartbeatMs);
        timer.unref();
        return new OutputLock(path, timer);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readHolder(path);
      const mtimeMs = await stat(path).then((s) => s.mtimeMs, () => -1);
      if (!watched || watched.mtimeMs !== mtimeMs) watched = { mtimeMs, sinceMs: performance.now() };
      const age = performance.now() - watched.sinceMs;
      const local = holder?.host === me.host;
      // The same pid on the same host is this process's earlier life (a container restarted as pid 1, say).
      const gone = !holder || age > staleMs || (local && (holder.pid === me.pid || !alive(holder.pid)));
      if (gone) {
        log.warn(`taking over ${path} from ${holder ? `pid ${holder.pid} on ${holder.host}` : 'an unreadable lock'}, which is gone`);
        // Renamed, not deleted: of two processes taking over at once, only one moves it.
        const aside = `${path}.stale-${process.pid}`;
        if (await rename(path, aside).then(() => true, () => false)) await rm(aside, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new OutputInUseError(
          `${dir} is written by another supervisor (pid ${holder.pid} on ${holder.host}, since ${holder.since}); ` +
            `give this one its own OUTPUT_DIR or POOL_INSTANCE`);
      }
      if (!told) {
        log.warn(`${path} is held by pid ${holder.pid} on ${holder.host}; waiting up to ${(staleMs + heartbeatMs) / 1000} s for it to go`);
        told = true;
      }
      await sleep(Math.min(1000, heartbeatMs));
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    const holder = await readHolder(this.path);
    if (holder?.pid === process.pid && holder.host === hostname()) await rm(this.path, { force: true });
  }
}

let lastWarnMs = 0;

/** Refreshes the lock, after checking it is still this process's; a failure to refresh is said, not swallowed. */
async function heartbeat(path: string, me: Holder, log: Logger, onLost: (why: string) => void): Promise<void> {
  try {
    const holder = await readHolder(path);
    if (!holder || holder.pid !== me.pid || holder.host !== me.host) {
      onLost(`${path} is now held by ${holder ? `pid ${holder.pid} on ${holder.host}` : 'nobody (it was removed)'}: another ` +
        'supervisor took these files over while this one was not refreshing the lock; stopping so that only one writes them');
      return;
    }
    const now = new Date();
    await utimes(path, now, now);
  } catch (err) {
    if (Date.now() - lastWarnMs < 60_000) return;
    lastWarnMs = Date.now();
    log.warn(`refreshing ${path} failed (${(err as Error).message}); if it stays unrefreshed for ${STALE_MS / 1000} s another supervisor may take the files over`);
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(path, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { host: h.host, pid: h.pid, since: String(h.since) } : undefined;
  } catch {
    return undefined;
  }
}
