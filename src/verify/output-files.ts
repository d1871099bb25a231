/**
 * The files of one table's folder that hold its lines, as the verify reads them: closed JSON-lines segments (plain
 * or gzip), Parquet segments, and open segments up to their last whole line (copied aside: the pool may be
 * appending to them). Dead letters are not lines of the table.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isLegacyOutput, parseSegment } from '../pool/segment-name.js';

export interface TableFiles {
  jsonl: string[];
  parquet: string[];
}

export async function tableFiles(dir: string, scratch: string, attempt = 0): Promise<TableFiles> {
  const files: TableFiles = { jsonl: [], parquet: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw err;
  }
  // With OUTPUT_FORMAT=both a closed segment is in two files: its Parquet one is read.
  const parquetKeys = new Set(names.filter((n) => parseSegment(n)?.state === 'parquet').map((n) => n.slice(0, -'.parquet'.length)));
  let copies = 0;
  for (const name of names) {
    const s = parseSegment(name);
    if (!s) {
      if (isLegacyOutput(name) && !name.endsWith('.deadletter.jsonl')) files.jsonl.push(join(dir, name));
      continue;
    }
    if (s.dead) continue;
    const stem = name.replace(/\.(jsonl(\.open|\.gz)?|parquet)$/, '');
    if (s.state === 'parquet') files.parquet.push(join(dir, name));
    else if ((s.state === 'closed' || s.state === 'gz') && !parquetKeys.has(stem)) files.jsonl.push(join(dir, name));
    else if (s.state === 'open') {
      const copy = join(scratch, `open-${attempt}-${copies++}.jsonl`);
      const copied = await wholeLines(join(dir, name), copy);
      // Closed since the listing: its lines now have another name; list again.
      if (copied < 0 && attempt < 20) return tableFiles(dir, scratch, attempt + 1);
      if (copied > 0) files.jsonl.push(copy);
    }
  }
  return files;
}

/** Copies a file up to its last newline; returns the bytes copied (0: nothing whole yet; -1: gone, closed meanwhile). */
async function wholeLines(from: string, to: string): Promise<number> {
  let fh;
  try {
    fh = await open(from, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
  let end = (await fh.stat()).size;
  const tail = Buffer.alloc(64 * 1024);
  // Back from the end to the last newline.
  while (end > 0) {
    const start = Math.max(0, end - tail.length);
    const { bytesRead } = await fh.read(tail, 0, end - start, start);
    const i = tail.subarray(0, bytesRead).lastIndexOf(10);
    if (i >= 0) {
      end = start + i + 1;
      break;
    }
    end = start;
  }
  await fh.close();
  if (end === 0) return 0;
  await pipeline(createReadStream(from, { start: 0, end: end - 1 }), createWriteStream(to));
  return end;
}
