/**
 * Where each table's lines go: the seed's table in OUTPUT_DIR itself (as before any other table was captured),
 * every other table in a folder of its own named after its topic without the prefix (`OUTPUT_DIR/shop.orders/`).
 * Each folder is an output directory like the first: its own segments, manifest, index and retention, opened
 * (and indexed) on the first message of its topic. Each consumer slot keeps one segment writer per table.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SegmentPolicy } from '../config.js';
import type { Logger } from '../log.js';
import { OutputDir, type ScanReport } from './output-dir.js';
import { SegmentWriter } from './segment-writer.js';

/** The folder of a topic's lines under OUTPUT_DIR: '' for the seed's topic, else the topic without `<prefix>.`. */
export function tableFolder(topic: string, seedTopic: string, prefix: string): string {
  if (topic === seedTopic) return '';
  return topic.startsWith(`${prefix}.`) ? topic.slice(prefix.length + 1) : topic;
}

export class TableDirs {
  private readonly dirs = new Map<string, Promise<OutputDir>>();
  private readonly done: OutputDir[] = [];

  constructor(private readonly o: {
    root: string; policy: SegmentPolicy; log?: Logger; instance: string; seedTopic: string; prefix: string;
    onOpened?: (folder: string, report: ScanReport) => void;
  }) {}

  /** The output directory of a topic's table, opened (and indexed) once. */
  open(topic: string): Promise<OutputDir> {
    const folder = tableFolder(topic, this.o.seedTopic, this.o.prefix);
    let dir = this.dirs.get(folder);
    if (!dir) {
      const path = folder === '' ? this.o.root : join(this.o.root, folder);
      dir = mkdir(path, { recursive: true }).then(() => OutputDir.open(path, this.o.policy, this.o.log, this.o.instance)).then(({ out, report }) => {
        this.done.push(out);
        this.o.onOpened?.(folder, report);
        return out;
      });
      this.dirs.set(folder, dir);
      dir.catch(() => this.dirs.delete(folder));
    }
    return dir;
  }

  opened(): OutputDir[] {
    return [...this.done];
  }

  /** Every opened directory catches up with other supervisors' lines (see OutputDir.refreshOthers). */
  async refreshOthers(): Promise<void> {
    await Promise.all(this.opened().map((d) => d.refreshOthers()));
  }

  async drain(): Promise<void> {
    await Promise.all(this.opened().map((d) => d.drain()));
  }

  /** When the oldest segment this supervisor has open in any table's folder was opened (monotonic ms). */
  oldestOpenSince(): number {
    return Math.min(Infinity, ...this.opened().map((d) => d.oldestOpenSince()));
  }

  /** Every segment open now closes at its writer's next turn (OUTPUT_CLOSE_EVERY). */
  async closeAllOpen(now = performance.now()): Promise<void> {
    for (const d of this.opened()) d.closeOpenedBefore = now;
    await Promise.all(this.opened().map((d) => d.closeLeftOpen()));
  }
}

/** One table's output for one consumer slot. */
export interface TableOutput {
  dir: OutputDir;
  lines: SegmentWriter;
  dead: SegmentWriter;
}

/** A consumer slot's writers, one pair (lines, dead letters) per table it has written. */
export class SlotOutputs {
  private readonly outputs = new Map<string, TableOutput>();

  constructor(private readonly dirs: TableDirs, private readonly base: string) {}

  async of(topic: string): Promise<TableOutput> {
    let out = this.outputs.get(topic);
    if (!out) {
      const dir = await this.dirs.open(topic);
      // Another topic of the same table folder (never the case by construction) would share it: look it up again.
      out = this.outputs.get(topic) ?? { dir, lines: new SegmentWriter(dir, this.base, false), dead: new SegmentWriter(dir, this.base, true) };
      this.outputs.set(topic, out);
    }
    return out;
  }

  all(): TableOutput[] {
    return [...this.outputs.values()];
  }

  /** An idle consumer's segments still close on time, so a loader gets them. */
  async rotateIfDue(): Promise<void> {
    await Promise.all(this.all().flatMap((o) => [o.lines.rotateIfDue(), o.dead.rotateIfDue()]));
  }

  async close(): Promise<void> {
    await Promise.all(this.all().flatMap((o) => [o.lines.close().catch(() => undefined), o.dead.close().catch(() => undefined)]));
  }
}
