/**
 * What the output files already hold: per topic-partition, the highest offset written in any file of the
 * directory. Built at start by reading every file (cutting a torn last line first), then kept current by
 * the writers of this process. A consumer skips offsets at or below it: they are written, just not committed.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ScanReport {
  files: number;
  lines: number;
  /** Bytes cut from files whose last line was torn by a crash. */
  repairedBytes: number;
}

export class OutputIndex {
  private readonly max = new Map<string, number>();

  static async load(dir: string): Promise<{ index: OutputIndex; report: ScanReport }> {
    const index = new OutputIndex();
    const report: ScanReport = { files: 0, lines: 0, repairedBytes: 0 };
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
    for (const name of names) {
      const path = join(dir, name);
      report.repairedBytes += await repairTornTail(path);
      report.files++;
      const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line === '') continue;
        const meta = (JSON.parse(line) as { _meta?: { topic: string; partition: number; offset: number } })._meta;
        if (meta) index.note(meta.topic, meta.partition, meta.offset);
        report.lines++;
      }
    }
    return { index, report };
  }

  written(topic: string, partition: number): number {
    return this.max.get(`${topic}:${partition}`) ?? -1;
  }

  note(topic: string, partition: number, offset: number): void {
    const key = `${topic}:${partition}`;
    if (offset > (this.max.get(key) ?? -1)) this.max.set(key, offset);
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
