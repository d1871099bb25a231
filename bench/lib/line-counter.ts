/** Counts complete lines in a directory's output files, reading only what was appended since the last call. */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class LineCounter {
  lines = 0;
  bytes = 0;
  private readonly offsets = new Map<string, number>();
  private readonly buf = Buffer.allocUnsafe(1 << 20);

  constructor(private readonly dir: string) {}

  update(): number {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.jsonl') && !n.includes('deadletter'));
    } catch {
      return this.lines;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      const size = statSync(path).size;
      let at = this.offsets.get(name) ?? 0;
      if (size <= at) continue;
      const fd = openSync(path, 'r');
      try {
        while (at < size) {
          const n = readSync(fd, this.buf, 0, Math.min(this.buf.length, size - at), at);
          if (n <= 0) break;
          for (let i = this.buf.indexOf(10, 0); i !== -1 && i < n; i = this.buf.indexOf(10, i + 1)) this.lines++;
          at += n;
          this.bytes += n;
        }
      } finally {
        closeSync(fd);
      }
      this.offsets.set(name, at);
    }
    return this.lines;
  }
}
