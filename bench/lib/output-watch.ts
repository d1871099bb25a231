/**
 * Watches a pool's output directory and notes when each product id's line first appears: inotify wakes it,
 * a 5 ms poll covers coalesced events. Only appended bytes are read.
 */
import { closeSync, openSync, readdirSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export class OutputWatch {
  /** id → performance.now() when its first line was seen. */
  readonly seen = new Map<number, number>();
  lines = 0;
  private readonly offsets = new Map<string, number>();
  private readonly tails = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly buf = Buffer.allocUnsafe(4 << 20);

  constructor(private readonly dir: string) {}

  /** Watches from the files' current ends: lines already there are not this measurement's. */
  start(): void {
    this.skipExisting();
    try {
      this.watcher = watch(this.dir, () => this.scan());
    } catch {
      // the directory appears later: the poll finds it
    }
    this.timer = setInterval(() => this.scan(), 5);
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.timer);
    this.scan();
  }

  private skipExisting(): void {
    try {
      for (const name of readdirSync(this.dir)) {
        if (name.endsWith('.jsonl')) this.offsets.set(name, statSync(join(this.dir, name)).size);
      }
    } catch {
      // no directory yet: nothing to skip
    }
  }

  scan(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.jsonl') && !n.includes('deadletter'));
    } catch {
      return;
    }
    const now = performance.now();
    for (const name of names) {
      const path = join(this.dir, name);
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        continue;
      }
      let at = this.offsets.get(name) ?? 0;
      if (size <= at) continue;
      const fd = openSync(path, 'r');
      try {
        while (at < size) {
          const n = readSync(fd, this.buf, 0, Math.min(this.buf.length, size - at), at);
          if (n <= 0) break;
          at += n;
          const text = (this.tails.get(name) ?? '') + this.buf.toString('utf8', 0, n);
          const end = text.lastIndexOf('\n');
          this.tails.set(name, text.slice(end + 1));
          if (end < 0) continue;
          for (const m of text.slice(0, end).matchAll(/"id":(-?\d+)/g)) {
            this.lines++;
            const id = Number(m[1]);
            if (!this.seen.has(id)) this.seen.set(id, now);
          }
        }
      } finally {
        closeSync(fd);
      }
      this.offsets.set(name, at);
    }
  }
}
