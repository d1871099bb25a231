/**
 * Watches a pool's output directory and notes when each product id's line first appears: inotify wakes it,
 * a 5 ms poll covers coalesced events. Only appended bytes are read.
 */
import { watch, type FSWatcher } from 'node:fs';
import { TailFiles } from './tail-files.js';

export class OutputWatch {
  /** id → performance.now() when its first line was seen. */
  readonly seen = new Map<number, number>();
  lines = 0;
  private readonly tail: TailFiles;
  private readonly partial = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly dir: string) {
    this.tail = new TailFiles(dir);
  }

  /** Watches from the files' current ends: lines already there are not this measurement's. */
  start(): void {
    this.tail.skipExisting();
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

  scan(): void {
    const now = performance.now();
    this.tail.read((file, bytes, length) => {
      const text = (this.partial.get(file) ?? '') + bytes.toString('utf8', 0, length);
      const end = text.lastIndexOf('\n');
      this.partial.set(file, text.slice(end + 1));
      if (end < 0) return;
      for (const m of text.slice(0, end).matchAll(/"id":(-?\d+)/g)) {
        this.lines++;
        const id = Number(m[1]);
        if (!this.seen.has(id)) this.seen.set(id, now);
      }
    });
  }
}
