/**
 * The completeness mark on disk, for loaders: `OUTPUT_DIR/_complete.json` (a leading underscore, so Spark, Hive and
 * most globbing loaders skip it). Each supervisor sharing the directory writes its own `.complete-<instance>.json`;
 * `_complete.json` holds the lower of all of them, which holds for their union. Written atomically (write, fsync,
 * rename): a reader sees the old mark or the new one.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lowerMark, type MarkPoint, type Marks } from './completeness.js';
import { replaceFile } from './segment-manifest.js';

export const MARK_FILE = '_complete.json';

export function instanceMarkFile(instance: string): string {
  return instance ? `.complete-${instance}.json` : '.complete.json';
}

/** The file's JSON: snake_case, times as ISO 8601 text. */
export interface MarkJson {
  version: 1;
  updated_at: string;
  closed: PointJson | null;
  open: PointJson | null;
}

export interface PointJson {
  binlog_file: string;
  binlog_pos: number;
  gtid: string | null;
  server_time: string | null;
  source_read_at: string;
  checkpoint_offset: number;
  /** Tables whose snapshot (added to CAPTURE_TABLES) is under way: their older rows are not all in the files yet. */
  snapshotting?: string[];
}

export function pointJson(p: MarkPoint | null): PointJson | null {
  if (!p) return null;
  return {
    binlog_file: p.binlogFile, binlog_pos: p.binlogPos, gtid: p.gtid,
    server_time: p.serverTimeMs > 0 ? new Date(p.serverTimeMs).toISOString() : null,
    source_read_at: new Date(p.sourceReadAtMs).toISOString(), checkpoint_offset: p.checkpointOffset,
    ...(p.snapshotting ? { snapshotting: p.snapshotting } : {}),
  };
}

export function pointOf(j: PointJson | null): MarkPoint | null {
  if (!j) return null;
  return {
    binlogFile: j.binlog_file, binlogPos: j.binlog_pos, gtid: j.gtid, serverTimeMs: j.server_time ? Date.parse(j.server_time) : 0,
    sourceReadAtMs: Date.parse(j.source_read_at), checkpointOffset: j.checkpoint_offset,
    ...(j.snapshotting ? { snapshotting: j.snapshotting } : {}),
  };
}

export async function readMark(path: string): Promise<MarkJson | undefined> {
  try {
    const m = JSON.parse(await readFile(path, 'utf8')) as MarkJson;
    return m.version === 1 ? m : undefined;
  } catch {
    return undefined; // absent, or written by a version that is gone: no mark
  }
}

/** Writes this supervisor's mark, then the directory's (the lower of every supervisor's). */
export async function publishMarks(dir: string, instance: string, marks: Marks): Promise<MarkJson> {
  const own: MarkJson = { version: 1, updated_at: new Date().toISOString(), closed: pointJson(marks.closed), open: pointJson(marks.open) };
  await replaceFile(join(dir, instanceMarkFile(instance)), markText(own));
  let closed = marks.closed;
  let openMark = marks.open;
  for (const name of await readdir(dir)) {
    if (!/^\.complete(-[A-Za-z0-9_.-]+)?\.json$/.test(name) || name === instanceMarkFile(instance)) continue;
    const other = await readMark(join(dir, name));
    closed = lowerMark(closed, pointOf(other?.closed ?? null));
    openMark = lowerMark(openMark, pointOf(other?.open ?? null));
  }
  const all: MarkJson = { ...own, closed: pointJson(closed), open: pointJson(openMark) };
  await replaceFile(join(dir, MARK_FILE), markText(all));
  return all;
}

const markText = (m: MarkJson) => `${JSON.stringify(m, null, 2)}\n`;
