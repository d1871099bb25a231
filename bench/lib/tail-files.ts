/**
 * Reads what was appended to a directory's line files (not dead letters) since the last call, file by file.
 * A segment is tracked under its closed name, so its rename on closing does not make it new.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class TailFiles {
  private readonly offsets = new Map<string, number>();
  private readonly buf = Buffer.allocUnsafe(4 << 20);

  constructor(private readonly dir: string) {}

  /** From now on, only bytes appended after this call are read. */
  skipExisting(): void {
    for (const name of this.names()) this.offsets.set(key(name), this.size(name));
  }

  /** Calls `chunk` with each run of new bytes, in file order; the buffer is reused after it returns. */
  read(chunk: (file: string, bytes: Buffer, length: number) => void): void {
    for (const name of this.names()) {
      const size = this.size(name);
      let at = this.offsets.get(key(name)) ?? 0;
      if (size <= at) continue;
      let fd: number;
      try {
        fd = openSync(join(this.dir, name), 'r');
      } catch {
        continue; // renamed on closing since the listing: read under its new name next time
      }
      try {
        while (at < size) {
          const n = readSync(fd, this.buf, 0, Math.min(this.buf.length, size - at), at);
          if (n <= 0) break;
          at += n;
          chunk(name, this.buf, n);
        }
      } finally {
        closeSync(fd);
      }
      this.offsets.set(key(name), at);
    }
  }

  private names(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => (n.endsWith('.jsonl') || n.endsWith('.jsonl.open')) && !n.includes('deadletter'));
    } catch {
      return []; // not created yet
    }
  }

  private size(name: string): number {
    try {
      return statSync(join(this.dir, name)).size;
    } catch {
      return 0;
    }
  }
}

function key(name: string): string {
  return name.replace(/\.open$/, '');
}
