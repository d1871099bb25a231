/**
 * A consumer's offsets between "the lines are durable" and "the group knows": which to commit now, which a
 * revocation or a stop must commit synchronously, and which an idle consumer may move past transaction markers.
 *
 * Commits are spaced (POOL_COMMIT_EVERY_MS): the files and the output index are what make each line exactly-once,
 * a commit only tells the next reader where to start, and each one is a write to the group's log on the broker. At
 * a trickle a commit per batch was one per consumer per source transaction.
 */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

const keyOf = (p: { topic: string; partition: number }): string => `${p.topic}:${p.partition}`;

export class OffsetCommits {
  /** The next offset per partition: committed, or to be at the next due commit. */
  private readonly next = new Map<string, PartitionOffset>();
  private readonly unsent = new Map<string, PartitionOffset>();
  private lastSentMs = 0;

  constructor(private readonly everyMs: number) {}

  /** The lines before these offsets are durable. */
  written(offsets: readonly PartitionOffset[]): void {
    for (const o of offsets) {
      this.next.set(keyOf(o), o);
      this.unsent.set(keyOf(o), o);
    }
  }

  /** What to commit (asynchronously) now: nothing until `everyMs` has passed since the last commit. */
  due(nowMs: number): PartitionOffset[] {
    if (this.unsent.size === 0 || nowMs - this.lastSentMs < this.everyMs) return [];
    const offsets = [...this.unsent.values()];
    this.unsent.clear();
    this.lastSentMs = nowMs;
    return offsets;
  }

  /** Of a consumer's positions, those past the next offset to commit (when idle, only markers or aborted records lie between). */
  ahead(positions: readonly PartitionOffset[]): PartitionOffset[] {
    return positions.filter((p) => p.offset >= 0 && p.offset > (this.next.get(keyOf(p))?.offset ?? -1));
  }

  /**
   * These positions were committed. An unsent lower offset of the same partition is dropped: sent later, it would
   * move the group's position back.
   */
  committedPast(positions: readonly PartitionOffset[]): void {
    for (const p of positions) {
      this.next.set(keyOf(p), p);
      this.unsent.delete(keyOf(p));
    }
  }

  /** The next offsets of these partitions (all when omitted), sent or not: what a synchronous commit must carry. */
  of(partitions?: ReadonlyArray<{ topic: string; partition: number }>): PartitionOffset[] {
    if (!partitions) return [...this.next.values()];
    return partitions.map((p) => this.next.get(keyOf(p))).filter((o) => o !== undefined);
  }

  /** These partitions are let go: their offsets are another consumer's business now. */
  forget(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const p of partitions) {
      this.next.delete(keyOf(p));
      this.unsent.delete(keyOf(p));
    }
  }
}
