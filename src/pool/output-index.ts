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

/** Notes one line's offset in `scan`; a line that is not JSON is an error naming the file. */
function noteLine(scan: FileScan, path: string, line: string): void {
  if (line === '') return;
  let parsed: { _meta?: { topic: string; partition: number; offset: number } };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch (err) {
    throw new Error(`${path}: line ${scan.lines + 1} is not JSON (${(err as Error).message})`);
  }
  const meta = parsed._meta;
  if (meta) {
    const key = `${meta.topic}:${meta.partition}`;
    if (meta.offset > (scan.written[key] ?? -1)) scan.written[key] = meta.offset;
  }
  scan.lines++;
}

/**
 * Feeds each whole line of `input` to `onLine`; returns the bytes of whole lines and what follows the last
 * newline. Split on \n bytes only: readline also ends lines at \r and at U+2028/U+2029, which JSON strings hold raw.
 */
async function eachLine(input: AsyncIterable<Buffer>, onLine: (line: string) => void): Promise<{ whole: number; tail: Buffer }> {
  let whole = 0;
  let carry = Buffer.alloc(0);
  for await (const chunk of input) {
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let from = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, from)) {
      onLine(data.subarray(from, nl).toString('utf8'));
      from = nl + 1;
    }
    whole += from;
    carry = Buffer.from(data.subarray(from));
  }
  return { whole, tail: carry };
}

/** Reads every line of one output file (gzip or plain) for its offsets; a bad line anywhere is an error. */
export async function scanFile(path: string): Promise<FileScan> {
  const scan: FileScan = { lines: 0, written: {} };
  const raw = createReadStream(path);
  const { tail } = await eachLine(path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw, (line) => noteLine(scan, path, line));
  noteLine(scan, path, tail.toString('utf8'));
  return scan;
}

/**
 * The offsets in the whole lines of a file another process appends to, from byte `start` on; `end` is where the
 * next call starts (after the last newline read), so each byte is read once however often the file is rescanned.
 * A half-written last line is left for a later call.
 */
export async function scanAppended(path: string, start: number): Promise<FileScan & { end: number }> {
  const scan: FileScan = { lines: 0, written: {} };
  const { whole } = await eachLine(createReadStream(path, { start }), (line) => noteLine(scan, path, line));
  return { ...scan, end: start + whole };
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
