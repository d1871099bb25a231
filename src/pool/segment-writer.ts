/**
 * One writer's stream of segments (a consumer's lines, or its dead letters): appends to the open segment,
 * fsyncs on demand, and closes it when it is big or old enough, after a batch is durable. The next segment
 * is created only when there is something to write, so an idle consumer leaves no empty files.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParquetPlan } from '../codec/parquet-column.js';
import { PipelineError } from '../errors.js';
import { replaceFile } from './segment-manifest.js';
import type { LiveSegment, OutputDir } from './output-dir.js';
import { columnsFile, type SegmentName } from './segment-name.js';

export class OutputWriteError extends PipelineError {}

export class SegmentWriter {
  private fh: FileHandle | undefined;
  /** The open segment's inode, taken when it was opened: compared with the path's after each fsync. */
  private inode: { dev: number; ino: number } | undefined;
  private seg: SegmentName | undefined;
  private live: LiveSegment | undefined;
  private dirty = false;
  /** With Parquet output: the columns of the lines about to be appended (a new segment records them). */
  private plan: ParquetPlan | undefined;

  constructor(private readonly out: OutputDir, private readonly base: string, private readonly dead: boolean) {
    this.live = out.takeLive(base, dead);
  }

  /**
   * With Parquet output a segment holds lines of one plan: true when the open segment has lines of another (or of
   * an unknown one, continued from before this start), which must then be made durable, indexed and closed first.
   */
  needsNewSegment(plan: ParquetPlan): boolean {
    const live = this.live;
    return live !== undefined && live.lines > 0 && live.plan?.key !== plan.key;
  }

  /** The plan of the lines appended next; a segment opened for them records it. */
  usePlan(plan: ParquetPlan): void {
    this.plan = plan;
  }

  /** Closes the open segment now (durable and indexed already): its lines' plan is not the next lines'. */
  async closeForPlan(): Promise<void> {
    if (this.dirty) await this.sync();
    if (this.fh && this.live && this.live.lines > 0) await this.closeSegment();
    else if (this.live && this.live.lines > 0) {
      // Continued from before this start and not reopened yet: close it as it is.
      await this.openSegment();
      await this.closeSegment();
    }
  }

  /** Appends whole lines; a failed append is cut back, so no torn line is left in the middle of a segment. */
  async append(text: string | Uint8Array, lines: number): Promise<void> {
    if (text.length === 0) return;
    const fh = await this.openSegment();
    const live = this.live!;
    try {
      await fh.appendFile(text);
    } catch (err) {
      await fh.truncate(live.bytes).catch(() => undefined);
      const failure = this.failed('appending to', err);
      // A full disk: close what this segment holds, so a loader can take it and free the space. If even that
      // fails, the segment stays open and the next start closes it.
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC' && live.lines > 0 && !this.dirty) await this.closeSegment().catch(() => undefined);
      throw failure;
    }
    live.bytes += Buffer.byteLength(text);
    live.lines += lines;
    this.dirty = true;
  }

  async sync(): Promise<void> {
    if (!this.dirty || !this.fh) return;
    await this.fh.sync().catch((err) => { throw this.failed('syncing', err); });
    await this.assertStillThere();
    this.dirty = false;
  }

  /**
   * A segment deleted or replaced while open would swallow every later line unseen. Checked after each fsync,
   * before the batch's offsets are committed: the batch is then written again into a new segment.
   */
  private async assertStillThere(): Promise<void> {
    const path = this.out.path(this.seg!);
    const there = await stat(path).catch(() => undefined);
    if (there && there.ino === this.inode!.ino && there.dev === this.inode!.dev) return;
    await this.fh!.close().catch(() => undefined);
    this.fh = undefined;
    this.live = undefined;
    this.out.segmentGone(this.seg!);
    throw new OutputWriteError(`${path} was deleted or replaced while being written; the consumer starts a new segment and ` +
      'writes the uncommitted lines again (take only closed segments, *.jsonl and *.jsonl.gz, from OUTPUT_DIR)', { retriable: true });
  }

  /** Closes the segment (fsynced already) when it is at its size or age limit. */
  async rotateIfDue(now = Date.now()): Promise<void> {
    const live = this.live;
    if (!this.fh || !live || live.lines === 0 || this.dirty) return;
    const { maxBytes, maxAgeMs } = this.out.policy;
    const requested = (live.openedMono ?? 0) < this.out.closeOpenedBefore;
    if (live.bytes >= maxBytes || now - live.openedMs >= maxAgeMs || requested) await this.closeSegment();
  }

  /** Stops writing; the open segment stays open for the next writer of this stream (after a restart too). */
  async close(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    if (this.live) this.out.leaveLive(this.base, this.dead, this.live);
    this.live = undefined;
  }

  /** Stops writing and closes the open segment: for a one-shot writer such as replay. */
  async finish(): Promise<void> {
    await this.sync();
    if (this.fh && this.live && this.live.lines > 0) await this.closeSegment();
    await this.close();
  }

  private async closeSegment(): Promise<void> {
    const seg = this.seg!;
    const { lines, bytes } = this.live!;
    await this.fh!.close();
    this.fh = undefined;
    this.live = undefined;
    await this.out.close(seg, lines, bytes).catch((err) => { throw this.failed('closing', err); });
  }

  private async openSegment(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    if (!this.live) {
      this.live = { seq: this.out.nextSeq(this.base, this.dead), bytes: 0, lines: 0, openedMs: Date.now(), openedMono: performance.now() };
      this.out.segmentOpened({ base: this.base, seq: this.live.seq, dead: this.dead, state: 'open' }, this.live.openedMono!);
      if (this.plan && !this.dead && this.out.policy.format !== 'jsonl') {
        this.live.plan = this.plan;
        await this.recordPlan({ base: this.base, seq: this.live.seq, dead: false, state: 'open' }, this.plan);
      }
    }
    this.seg = { base: this.base, seq: this.live.seq, dead: this.dead, state: 'open' };
    const path = this.out.path(this.seg);
    try {
      this.fh = await open(path, 'a', this.out.policy.fileMode);
      // A writer before this one may have failed mid-append and been unable to cut it back.
      const { size, dev, ino } = await this.fh.stat();
      this.inode = { dev, ino };
      if (size !== this.live.bytes) {
        await this.fh.truncate(Math.min(size, this.live.bytes));
        this.live.bytes = Math.min(size, this.live.bytes);
      }
    } catch (err) {
      throw this.failed('opening', err);
    }
    return this.fh;
  }

  /** The segment's columns beside it, durable before its first line: closing it after a crash needs them. */
  private async recordPlan(seg: SegmentName, plan: ParquetPlan): Promise<void> {
    try {
      await replaceFile(join(this.out.dir, columnsFile(seg)), JSON.stringify(plan.columns), this.out.policy.fileMode);
    } catch (err) {
      throw this.failed('recording the columns of', err);
    }
  }

  private failed(doing: string, err: unknown): OutputWriteError {
    const e = err as NodeJS.ErrnoException;
    const path = this.seg ? this.out.path(this.seg) : this.out.dir;
    const hint = e.code === 'ENOSPC' ? 'the disk is full: free space there; the consumer retries and loses nothing'
      : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? 'the file or directory is not writable (permissions, an immutable flag, a read-only mount): fix it; the consumer retries and loses nothing'
        : 'the consumer retries from its last committed offset';
    return new OutputWriteError(`${doing} ${path} failed (${e.code ?? e.message}); ${hint}`, { cause: err, retriable: true });
  }
}
