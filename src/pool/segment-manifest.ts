/**
 * What closed segments hold, kept durably beside them (`.segments.json`), so a start reads this file instead of
 * every line of history: the highest offset written per partition, each closed segment's lines and bytes, and
 * each writer's last sequence number (names are never reused, even after retention or a loader took files away).
 * Replaced atomically (write, fsync, rename, fsync the directory): a crash leaves the old or the new version.
 */
import { open, readdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PipelineError } from '../errors.js';

export const MANIFEST_FILE = '.segments.json';

/** Each supervisor sharing a directory (its POOL_INSTANCE) keeps its own manifest, and reads the others'. */
export function manifestFile(instance = ''): string {
  return instance ? `.segments-${instance}.json` : MANIFEST_FILE;
}

export function isManifestFile(name: string): boolean {
  return name === MANIFEST_FILE || /^\.segments-[A-Za-z0-9_.-]+\.json$/.test(name);
}

export interface ClosedSegment {
  lines: number;
  bytes: number;
  /** When it was closed (ISO): retention by age counts from here. */
  closedAt: string;
}

export interface Manifest {
  version: 1;
  /** `topic:partition` → highest offset durably written in this directory when a segment last closed. */
  written: Record<string, number>;
  /** Closed segments (and old-layout files) already accounted, by closed name. */
  closed: Record<string, ClosedSegment>;
  /** Writer stream → last sequence number used. */
  seqs: Record<string, number>;
}

export class ManifestError extends PipelineError {}

export function emptyManifest(): Manifest {
  return { version: 1, written: {}, closed: {}, seqs: {} };
}

export async function readManifest(dir: string, instance = ''): Promise<Manifest> {
  const path = join(dir, manifestFile(instance));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest();
    throw err;
  }
  try {
    const m = JSON.parse(text) as Manifest;
    if (m.version !== 1 || typeof m.written !== 'object' || typeof m.closed !== 'object') throw new Error('unknown layout');
    return { version: 1, written: m.written, closed: m.closed, seqs: m.seqs ?? {} };
  } catch (err) {
    throw new ManifestError(`${path} is not a segment manifest this version can read (${(err as Error).message}); ` +
      'move it aside to rebuild it from the files (every closed segment is read once)', { cause: err });
  }
}

/** Every manifest in the directory but this instance's: what the other supervisors sharing it have closed. */
export async function readOtherManifests(dir: string, instance = ''): Promise<Manifest[]> {
  const names = (await readdir(dir)).filter((n) => isManifestFile(n) && n !== manifestFile(instance));
  return Promise.all(names.map((n) => readManifest(dir, n === MANIFEST_FILE ? '' : n.slice('.segments-'.length, -'.json'.length))));
}

export async function writeManifest(dir: string, m: Manifest, instance = ''): Promise<void> {
  await replaceFile(join(dir, manifestFile(instance)), JSON.stringify(m));
}

/**
 * Replaces a file atomically and durably: written to `<path>.tmp`, fsynced, renamed, the directory fsynced. A
 * crash leaves the old content or the new, never part of either.
 */
export async function replaceFile(path: string, text: string, mode?: number): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** Makes a rename or unlink in the directory durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
