/**
 * Up to where the files are complete. Pure: the probe (src/pool/mark-probe.ts) feeds it what it reads from Kafka.
 *
 * A candidate is a source checkpoint (every change up to its binlog position is in committed Kafka transactions)
 * together with each data partition's last stable offset read after it: every change up to the position lies
 * below those offsets. Once the group's committed offsets reach them all, those changes are in segments, since the
 * pool commits only what it has fsynced (the `open` mark). They are in closed segments once every segment open at
 * that moment has closed: a segment opened later holds only lines written later (the `closed` mark).
 */

/** A source checkpoint as the mark names it. */
export interface MarkPoint {
  binlogFile: string;
  binlogPos: number;
  gtid: string | null;
  /** Server time (binlog event time, ms) of the last change up to the position; 0 when none yet. */
  serverTimeMs: number;
  /** When the source had read this far (ms). */
  sourceReadAtMs: number;
  /** The checkpoint record's offset in its topic: orders marks of one source totally. */
  checkpointOffset: number;
  /**
   * Tables added to CAPTURE_TABLES whose snapshot (in-stream) is not done: their changes up to the mark are in the
   * files, their rows from before they were added not all yet.
   */
  snapshotting?: string[];
}

export interface Candidate {
  point: MarkPoint;
  /** `topic:partition` → last stable offset after the checkpoint was read. */
  targets: Map<string, number>;
  /** Monotonic time (ms) at which the committed offsets were seen to reach every target. */
  reachedAt?: number;
}

export interface Marks {
  /** Every change up to here is in segments (closed or open). */
  open: MarkPoint | null;
  /** Every change up to here is in closed segments. */
  closed: MarkPoint | null;
}

/** Reached candidates kept while waiting for segments to close: thinned past this, keeping the oldest and newest. */
const KEEP = 256;

export class CompletenessTracker {
  private waiting: Candidate[] = [];
  private reached: Candidate[] = [];
  private open: MarkPoint | null = null;
  private closed: MarkPoint | null = null;

  /** A new candidate; one not newer than the last offered (the same checkpoint) replaces nothing. */
  offer(point: MarkPoint, targets: Map<string, number>): void {
    const last = this.waiting.at(-1) ?? this.reached.at(-1);
    if (last && last.point.checkpointOffset >= point.checkpointOffset && sameTargets(last.targets, targets)) return;
    if (last && last.point.checkpointOffset > point.checkpointOffset) return;
    this.waiting.push({ point, targets });
  }

  /** The group's committed offsets, seen at monotonic time `now`. */
  observe(committed: Map<string, number>, now: number): void {
    let i = 0;
    // Candidates are reached in order: later ones have targets at least as high.
    while (i < this.waiting.length && reaches(committed, this.waiting[i]!.targets)) i++;
    if (i === 0) return;
    const done = this.waiting.splice(0, i);
    const newest = done.at(-1)!;
    newest.reachedAt = now;
    this.open = newest.point;
    this.reached.push(newest);
    if (this.reached.length > KEEP) this.reached = this.reached.filter((_, k) => k === 0 || k % 2 === 1 || k === this.reached.length - 1);
  }

  /**
   * `oldestOpenSince`: monotonic time the oldest segment still open was opened (Infinity when none is open).
   * The newest candidate reached before it holds: its changes were written before that segment opened.
   */
  settle(oldestOpenSince: number): Marks {
    let k = -1;
    for (let i = 0; i < this.reached.length; i++) if (this.reached[i]!.reachedAt! < oldestOpenSince) k = i;
    if (k >= 0) {
      this.closed = this.reached[k]!.point;
      this.reached = this.reached.slice(k);
    }
    return { open: this.open, closed: this.closed };
  }

  /** The newest candidate offered: what OUTPUT_CLOSE_EVERY waits for. */
  newest(): Candidate | undefined {
    return this.waiting.at(-1) ?? this.reached.at(-1);
  }

  marks(): Marks {
    return { open: this.open, closed: this.closed };
  }
}

function reaches(committed: Map<string, number>, targets: Map<string, number>): boolean {
  for (const [tp, target] of targets) {
    if (target <= 0) continue;
    if ((committed.get(tp) ?? -1) < target) return false;
  }
  return true;
}

function sameTargets(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** The lower of two marks (either may be missing: then there is no mark). */
export function lowerMark(a: MarkPoint | null, b: MarkPoint | null): MarkPoint | null {
  if (!a || !b) return null;
  return a.checkpointOffset <= b.checkpointOffset ? a : b;
}
