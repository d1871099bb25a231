/**
 * The output directory as segments: what a start needs from history (the manifest, plus a scan of the open
 * segments only), closing a segment durably (account it in the manifest first, then rename or compress it), and
 * retention. One per directory and process; every manifest change goes through one queue.
 *
 * Closing order, and what a crash at each step leaves:
 *   1. the segment is fsynced (its lines are in the index);
 *   2. the manifest records it, with the index's offsets  -> crash: `.open` accounted; the next start closes it;
 *   3. rename to `.jsonl`, or compress to `.jsonl.gz.tmp`, fsync, rename to `.jsonl.gz`, remove `.open`
 *                                                        -> crash: a `.gz.tmp` is removed and compression redone.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { SegmentPolicy } from '../config.js';
import { crashPoint } from '../faults.js';
import type { Logger } from '../log.js';
import { planOf, type ParquetColumn, type ParquetPlan } from '../codec/parquet-column.js';
import { OutputIndex, repairTornTail, scanAppended, scanFile } from './output-index.js';
import { scanParquet, writeParquet } from './parquet.js';
import { readManifest, readOtherManifests, syncDir, writeManifest, type Manifest } from './segment-manifest.js';
import { closedKey, columnsFile, isLegacyOutput, parseSegment, segmentFile, streamKey, type SegmentName } from './segment-name.js';

/** The segment a writer continues after a restart. */
export interface LiveSegment {
  seq: number;
  bytes: number;
  lines: number;
  openedMs: number;
  /** Monotonic ms when this process opened it; absent for one from before this start. */
  openedMono?: number;
  /** With Parquet output: the columns its lines follow (from its columns file, for one continued after a restart). */
  plan?: ParquetPlan;
}

export interface ScanReport {
  /** Files the start read line by line: open segments, and history not yet in the manifest. */
  scannedFiles: number;
  scannedLines: number;
  /** Closed segments known from the manifest alone. */
  closedFiles: number;
  /** Lines in the directory: the manifest's closed segments plus the scanned files. */
  lines: number;
  /** Bytes cut from open segments whose last line was torn by a crash. */
  repairedBytes: number;
}

export class OutputDir {
  readonly index = new OutputIndex();
  private readonly live = new Map<string, LiveSegment>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly background = new Set<Promise<void>>();
  /** Segments between their manifest entry and their final name: retention leaves them alone. */
  private readonly closing = new Set<string>();
  private runningScan: Promise<void> | undefined;
  /** Other supervisors' open segments: bytes of whole lines already read into the index. */
  private readonly othersScanned = new Map<string, number>();
  private queuedScan: Promise<void> | undefined;
  /** This supervisor's segments not yet under their final name → when opened (monotonic ms; 0 = before this start). */
  private readonly openSince = new Map<string, number>();
  /** Segments opened before this (monotonic ms) close at their writer's next turn: OUTPUT_CLOSE_EVERY. */
  closeOpenedBefore = -Infinity;

  private constructor(readonly dir: string, readonly policy: SegmentPolicy, private manifest: Manifest,
    private readonly instance: string, private readonly log?: Logger) {}

  /** `instance`: this supervisor's POOL_INSTANCE, when several share the directory (each keeps its own manifest). */
  static async open(dir: string, policy: SegmentPolicy, log?: Logger, instance = ''): Promise<{ out: OutputDir; report: ScanReport }> {
    const out = new OutputDir(dir, policy, await readManifest(dir, instance), instance, log);
    const report = await out.load(await readOtherManifests(dir, instance));
    return { out, report };
  }

  private async load(others: Manifest[]): Promise<ScanReport> {
    const report: ScanReport = { scannedFiles: 0, scannedLines: 0, closedFiles: 0, lines: 0, repairedBytes: 0 };
    const m = this.manifest;
    const names = await readdir(this.dir);
    const present = new Set(names);
    let changed = false;
    const opens = new Map<string, SegmentName[]>();
    for (const name of names) {
      const s = parseSegment(name);
      if (s) {
        const stream = streamKey(s.base, s.dead);
        m.seqs[stream] = Math.max(m.seqs[stream] ?? 0, s.seq);
        if (s.state === 'open') opens.set(stream, [...(opens.get(stream) ?? []), s]);
        // A compression or a Parquet file cut short: redone below.
        if (s.state === 'gz-tmp' || s.state === 'parquet-tmp') await unlink(join(this.dir, name));
      }
    }
    const scan = async (name: string, repair: boolean) => {
      if (repair) report.repairedBytes += await repairTornTail(join(this.dir, name));
      const found = name.endsWith('.parquet') ? await scanParquet(join(this.dir, name)) : await scanFile(join(this.dir, name));
      report.scannedFiles++;
      report.scannedLines += found.lines;
      return found;
    };
    const account = async (key: string, name: string, closedAtMs: number) => {
      const found = await scan(name, !name.endsWith('.gz') && !name.endsWith('.parquet'));
      for (const [k, offset] of Object.entries(found.written)) m.written[k] = Math.max(m.written[k] ?? -1, offset);
      m.closed[key] = { lines: found.lines, bytes: (await stat(join(this.dir, name))).size, closedAt: new Date(closedAtMs).toISOString() };
      changed = true;
    };
    const finishing: SegmentName[] = [];
    for (const [stream, list] of opens) {
      list.sort((a, b) => a.seq - b.seq);
      if (!this.owns(list[0]!.base)) {
        // Another supervisor's segments (POOL_INSTANCE): read for the index, never repaired, renamed or
        // continued here; it may be writing them right now (its last line may be half written).
        for (const s of list) {
          const name = segmentFile(s);
          const found = await scanAppended(join(this.dir, name), 0);
          this.index.noteAll(found.written);
          this.othersScanned.set(name, found.end); // a refresh goes on from here
          report.scannedFiles++;
          report.scannedLines += found.lines;
        }
        continue;
      }
      for (const s of list) {
        const name = segmentFile(s);
        const key = closedKey(s);
        const last = s === list[list.length - 1];
        this.openSince.set(key, 0);
        if (m.closed[key]) {
          finishing.push(s); // accounted before a crash, not yet renamed or compressed
        } else if (last) {
          const found = await scan(name, true);
          this.index.noteAll(found.written);
          const st = await stat(join(this.dir, name));
          const plan = await this.readPlan(s);
          this.live.set(stream, { seq: s.seq, bytes: st.size, lines: found.lines, openedMs: st.birthtimeMs || st.mtimeMs, ...(plan ? { plan } : {}) });
          report.lines += found.lines;
        } else {
          await account(key, name, Date.now());
          finishing.push(s);
        }
      }
    }
    // Closed files no manifest knows: the old one-file-per-consumer layout, or files put here by hand.
    const known = (key: string) => m.closed[key] !== undefined || others.some((o) => o.closed[key] !== undefined);
    for (const name of names) {
      const s = parseSegment(name);
      const closed = s ? s.state === 'closed' || s.state === 'gz' || s.state === 'parquet' : isLegacyOutput(name);
      const key = s ? closedKey(s) : name;
      if (closed && !known(key)) await account(key, name, (await stat(join(this.dir, name))).mtimeMs);
    }
    for (const manifest of [m, ...others]) {
      for (const [key, c] of Object.entries(manifest.closed)) {
        if (present.has(key) || present.has(`${key}.gz`) || present.has(parquetOf(key))) report.closedFiles++;
        report.lines += c.lines;
      }
      this.index.noteAll(manifest.written);
    }
    if (changed) await this.save();
    for (const s of finishing) this.finish(s);
    await this.retain();
    return report;
  }

  /**
   * Catches the index up with what other supervisors sharing the directory wrote since this one started. Called
   * when partitions are assigned: one that died mid-hand-off (after writing, before its commit) left lines past
   * the committed offset. Their open segments are scanned before their manifests are read, so a segment closed
   * in between is still counted: a manifest entry is written before the rename. A call made while a scan runs
   * gets one that starts after it, since the running one may have read a file before its last lines.
   */
  refreshOthers(): Promise<void> {
    // Calls made before a waiting scan starts share it: it starts after all of them.
    if (this.queuedScan) return this.queuedScan;
    const scan: Promise<void> = (this.runningScan ?? Promise.resolve()).catch(() => undefined).then(() => {
      this.queuedScan = undefined;
      this.runningScan = scan;
      return this.readOthers();
    }).finally(() => {
      if (this.runningScan === scan) this.runningScan = undefined;
    });
    this.queuedScan = scan;
    return scan;
  }

  private async readOthers(): Promise<void> {
    const open = new Set<string>();
    for (const name of await readdir(this.dir)) {
      const s = parseSegment(name);
      if (!s || s.state !== 'open' || this.owns(s.base)) continue;
      open.add(name);
      const found = await scanAppended(join(this.dir, name), this.othersScanned.get(name) ?? 0).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined; // closed meanwhile: its manifest, read below, has it
        throw err;
      });
      if (found) {
        this.index.noteAll(found.written);
        this.othersScanned.set(name, found.end);
      }
    }
    for (const name of this.othersScanned.keys()) if (!open.has(name)) this.othersScanned.delete(name);
    for (const manifest of await readOtherManifests(this.dir, this.instance)) this.index.noteAll(manifest.written);
  }

  /** This supervisor's streams: `consumer-<instance>-N` (or `consumer-N` without an instance), and replay's. */
  private owns(base: string): boolean {
    return this.instance ? base.startsWith(`consumer-${this.instance}-`) && /^\d+$/.test(base.slice(`consumer-${this.instance}-`.length))
      : /^consumer-\d+$/.test(base) || base === 'replay';
  }

  /** Where a writer of this stream carries on: its open segment from before a restart, if any. */
  takeLive(base: string, dead: boolean): LiveSegment | undefined {
    const stream = streamKey(base, dead);
    const live = this.live.get(stream);
    this.live.delete(stream);
    return live;
  }

  /** A writer stopping with its segment still open hands it to the next writer of the stream. */
  leaveLive(base: string, dead: boolean, live: LiveSegment): void {
    this.live.set(streamKey(base, dead), live);
  }

  /** A writer opened a new segment (monotonic ms): it counts as open until it has its final name. */
  segmentOpened(s: SegmentName, at: number): void {
    this.openSince.set(closedKey(s), at);
  }

  /**
   * Closes segments continued from before this start that no writer has taken up (their consumer has had no
   * message of this table since): OUTPUT_CLOSE_EVERY closes every open segment, not only those being written.
   */
  async closeLeftOpen(): Promise<void> {
    for (const [stream, live] of [...this.live]) {
      this.live.delete(stream);
      const dead = stream.endsWith('.deadletter');
      const base = dead ? stream.slice(0, -'.deadletter'.length) : stream;
      const seg: SegmentName = { base, seq: live.seq, dead, state: 'open' };
      if (live.lines === 0) {
        await unlink(this.path(seg)).catch(ignoreMissing); // an empty file a crash left: nothing to close
        this.openSince.delete(closedKey(seg));
        continue;
      }
      await this.close(seg, live.lines, live.bytes);
    }
  }

  /** A segment deleted under its writer is no longer open here (its lines are written again elsewhere). */
  segmentGone(s: SegmentName): void {
    this.openSince.delete(closedKey(s));
  }

  /** When the oldest of this supervisor's segments still open here was opened (Infinity when none is). */
  oldestOpenSince(): number {
    let oldest = Infinity;
    for (const at of this.openSince.values()) oldest = Math.min(oldest, at);
    return oldest;
  }

  nextSeq(base: string, dead: boolean): number {
    const stream = streamKey(base, dead);
    const seq = (this.manifest.seqs[stream] ?? 0) + 1;
    this.manifest.seqs[stream] = seq;
    return seq;
  }

  path(s: SegmentName): string {
    return join(this.dir, segmentFile(s));
  }

  /** Closes a segment its writer has fsynced and will not append to again. */
  async close(s: SegmentName, lines: number, bytes: number): Promise<void> {
    const seg: SegmentName = { ...s, state: 'open' };
    await this.serially(async () => {
      const m = this.manifest;
      for (const [k, offset] of Object.entries(this.index.snapshot())) m.written[k] = Math.max(m.written[k] ?? -1, offset);
      m.closed[closedKey(seg)] = { lines, bytes, closedAt: new Date().toISOString() };
      await this.save();
    });
    crashPoint('segment.accounted');
    this.finish(seg);
    await this.retain();
  }

  /** Waits for compressions under way (a stop, or a test). */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    await this.queue.catch(() => undefined);
  }

  /**
   * Step 3 of closing, in the background (compressing and Parquet take seconds per segment): the Parquet file
   * first when one is wanted (`.parquet.tmp`, fsync, rename), then the JSON lines' final name (renamed, or
   * compressed), or with Parquet alone the `.open` file removed. A Parquet file that cannot be written leaves
   * the segment as JSON lines: its lines are never lost to a conversion.
   */
  private finish(s: SegmentName): void {
    this.track((async () => {
      const from = this.path({ ...s, state: 'open' });
      const wanted = this.policy.format !== 'jsonl' && !s.dead;
      const parquet = wanted && await this.toParquet(s, from).catch((err: Error) => {
        this.log?.error(`${err.message}; ${segmentFile(s)} is kept as JSON lines`);
        return false;
      });
      if (parquet && this.policy.format === 'parquet') {
        await unlink(from).catch(ignoreMissing);
        await syncDir(this.dir);
      } else if (this.policy.gzip) await this.compress(s, from);
      else {
        await rename(from, this.path({ ...s, state: 'closed' }));
        await syncDir(this.dir);
      }
      if (wanted) await unlink(join(this.dir, columnsFile(s))).catch(ignoreMissing);
      await this.noteSize(s);
    })(), s);
  }

  /** The segment's Parquet file; false when its columns are unknown (written before OUTPUT_FORMAT asked for it). */
  private async toParquet(s: SegmentName, from: string): Promise<boolean> {
    const out = this.path({ ...s, state: 'parquet' });
    if (await stat(out).then(() => true, () => false)) return true;
    const plan = await this.readPlan(s);
    if (!plan) {
      this.log?.warn(`${segmentFile(s)} has no columns file (it was opened before OUTPUT_FORMAT asked for Parquet): kept as JSON lines only`);
      return false;
    }
    const tmp = this.path({ ...s, state: 'parquet-tmp' });
    await writeParquet(from, tmp, plan, this.policy.parquetCompression);
    const fh = await open(tmp, 'r');
    try {
      await fh.chmod(this.policy.fileMode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    crashPoint('segment.parquet-written');
    await rename(tmp, out);
    await syncDir(this.dir);
    return true;
  }

  private async readPlan(s: SegmentName): Promise<ParquetPlan | undefined> {
    try {
      return planOf(JSON.parse(await readFile(join(this.dir, columnsFile(s)), 'utf8')) as ParquetColumn[]);
    } catch {
      return undefined;
    }
  }

  /** Retention by size counts what is on disk: the manifest entry takes the closed files' sizes (saved with the next change). */
  private async noteSize(s: SegmentName): Promise<void> {
    let size = 0;
    for (const state of ['closed', 'gz', 'parquet'] as const) size += await stat(this.path({ ...s, state })).then((st) => st.size, () => 0);
    await this.serially(async () => {
      const entry = this.manifest.closed[closedKey(s)];
      if (entry && size > 0) entry.bytes = size;
    });
  }

  private track(work: Promise<void>, s: SegmentName): void {
    const key = closedKey(s);
    this.closing.add(key);
    const p = work.then(() => { this.openSince.delete(key); }, (err: Error) => {
      // The `.open` file stays: the next start finishes closing it.
      this.log?.error(`closing segment ${segmentFile(s)} failed (${err.message}); the next start finishes it`);
    }).finally(() => {
      this.background.delete(p);
      this.closing.delete(key);
    });
    this.background.add(p);
  }

  private async compress(s: SegmentName, from: string): Promise<void> {
    const gz = this.path({ ...s, state: 'gz' });
    const present = await stat(gz).then(() => true, () => false);
    if (!present) {
      const tmp = this.path({ ...s, state: 'gz-tmp' });
      await pipeline(createReadStream(from), createGzip(), createWriteStream(tmp, { mode: this.policy.fileMode }));
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      crashPoint('segment.compressed');
      await rename(tmp, gz);
      await syncDir(this.dir);
    }
    crashPoint('segment.renamed');
    await unlink(from);
  }

  /** Deletes closed segments past the retention settings (never an open one). */
  private async retain(): Promise<void> {
    const { retentionMs, retentionBytes } = this.policy;
    if (retentionMs === 0 && retentionBytes === 0) return;
    await this.serially(async () => {
      const m = this.manifest;
      const oldestFirst = Object.entries(m.closed).sort(([, a], [, b]) => a.closedAt.localeCompare(b.closedAt));
      let total = oldestFirst.reduce((n, [, c]) => n + c.bytes, 0);
      const now = Date.now();
      const drop: string[] = [];
      for (const [key, c] of oldestFirst) {
        const old = retentionMs > 0 && now - Date.parse(c.closedAt) > retentionMs;
        const over = retentionBytes > 0 && total > retentionBytes;
        if (!old && !over) break;
        if (this.closing.has(key)) continue; // still being renamed or compressed: next round
        drop.push(key);
        total -= c.bytes;
      }
      if (drop.length === 0) return;
      for (const key of drop) {
        for (const name of [key, `${key}.gz`, parquetOf(key)]) await unlink(join(this.dir, name)).catch(ignoreMissing);
        delete m.closed[key];
      }
      await this.save();
      this.log?.info(`retention deleted ${drop.length} closed segment(s): ${drop.join(', ')}`);
    });
  }

  private save(): Promise<void> {
    return writeManifest(this.dir, this.manifest, this.instance);
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => undefined).then(work);
    this.queue = run;
    return run;
  }
}

/** A closed segment's Parquet file, by the name the manifest knows it by (`….jsonl`). */
function parquetOf(key: string): string {
  return key.endsWith('.jsonl') ? `${key.slice(0, -'.jsonl'.length)}.parquet` : key;
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
