/**
 * What the output directory already holds: per topic-partition, the highest offset durably written there.
 * Filled at start from the segment manifest and a scan of the open segments (see OutputDir), then kept current
 * by the writers of this process after each fsync. A consumer skips offsets at or below it: they are written,
 * just not committed.
 */
import { createReadStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export class OutputIndex {
  private readonly max = new Map<string, number>();

  written(topic: string, partition: number): number {
    return this.max.get(`${topic}:${partition}`) ?? -1;
  }

  note(topic: string, partition: number, offset: number): void {
    this.noteKey(`${topic}:${partition}`, offset);
  }

  /** Every `topic:partition` → highest offset, for the manifest. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.max);
  }

  noteAll(written: Record<string, number>): void {
    for (const [key, offset] of Object.entries(written)) this.noteKey(key, offset);
  }

  private noteKey(key: string, offset: number): void {
    if (offset > (this.max.get(key) ?? -1)) this.max.set(key, offset);
  }
}

export interface FileScan {
  lines: number;
  /** `topic:partition` → highest offset in the file. */
  written: Record<string, number>;
}

/**
 * Reads every line of one output file (gzip or plain) for its offsets. `tornTailOk`: a last line that does not
 * parse is skipped (a file another process is appending to); anywhere else a bad line is an error.
 */
export async function scanFile(path: string, opts: { tornTailOk?: boolean } = {}): Promise<FileScan> {
  const scan: FileScan = { lines: 0, written: {} };
  const raw = createReadStream(path);
  const input: AsyncIterable<Buffer> = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let unparsed: Error | undefined;
  const take = (line: string) => {
    if (line === '') return;
    if (unparsed) throw unparsed;
    let parsed: { _meta?: { topic: string; partition: number; offset: number } };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch (err) {
      if (!opts.tornTailOk) throw new Error(`${path}: line ${scan.lines + 1} is not JSON (${(err as Error).message})`);
      unparsed = new Error(`${path}: a line that is not JSON before the end of the file (${(err as Error).message})`);
      return;
    }
    const meta = parsed._meta;
    if (meta) {
      const key = `${meta.topic}:${meta.partition}`;
      if (meta.offset > (scan.written[key] ?? -1)) scan.written[key] = meta.offset;
    }
    scan.lines++;
  };
  // Split on \n bytes only: readline also ends lines at \r and at U+2028/U+2029, which JSON strings hold raw.
  let carry = Buffer.alloc(0);
  for await (const chunk of input) {
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let from = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, from)) {
      take(data.subarray(from, nl).toString('utf8'));
      from = nl + 1;
    }
    carry = Buffer.from(data.subarray(from));
  }
  take(carry.toString('utf8'));
  return scan;
}

/**
 * The offsets in the whole lines of a file another process appends to, from byte `start` on; `end` is where the
 * next call starts (after the last newline read), so each byte is read once however often the file is rescanned.
 */
export async function scanAppended(path: string, start: number): Promise<FileScan & { end: number }> {
  const scan: FileScan & { end: number } = { lines: 0, written: {}, end: start };
  const fh = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    let carry = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, scan.end + carry.length);
      if (bytesRead === 0) return scan;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const last = data.lastIndexOf(0x0a);
      if (last < 0) {
        carry = Buffer.from(data);
        continue;
      }
      for (const line of data.subarray(0, last).toString('utf8').split('\n')) {
        if (line === '') continue;
        const meta = (JSON.parse(line) as { _meta?: { topic: string; partition: number; offset: number } })._meta;
        if (meta) {
          const key = `${meta.topic}:${meta.partition}`;
          if (meta.offset > (scan.written[key] ?? -1)) scan.written[key] = meta.offset;
        }
        scan.lines++;
      }
      scan.end += last + 1;
      carry = Buffer.from(data.subarray(last + 1));
    }
  } finally {
    await fh.close();
  }
}

/** Cuts everything after the last newline: a line without one was being written when the process died. */
export async function repairTornTail(path: string): Promise<number> {
  const { size } = await stat(path);
  if (size === 0) return 0;
  const fh = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) {
        const keep = start + at + 1;
        if (keep === size) return 0;
        await truncate(path, keep);
        return size - keep;
      }
      end = start;
    }
  } finally {
    await fh.close();
  }
  await truncate(path, 0);
  return size;
}
