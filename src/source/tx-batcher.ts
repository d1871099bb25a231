/**
 * Groups whole binlog transactions into Kafka transactions, each ending with the checkpoint after its last
 * binlog transaction, so changes and position commit together or not at all.
 *
 * A Kafka commit waits for every record of the transaction to be acknowledged (tens of milliseconds under
 * load). Meanwhile the next transaction's records are encoded and held here ("staged"); they are produced as
 * soon as the commit returns. One commit is in flight at a time, and staging is bounded by the batch size.
 *
 * With no commit in flight, a transaction's first records are held for half its linger (or until FLUSH_AT of
 * them), then produced together: the producer names their partitions to the coordinator in one AddPartitionsToTxn
 * request (each a write to the transaction log) instead of one per record that reaches a new partition, the
 * broker's largest single cost at a trickle. Records after that mostly go to partitions already named, and are
 * produced while the transaction lingers, so its commit waits only for EndTxn.
 */
import type { KafkaRecord } from '../codec/change-encoder.js';
import type { TxWriter } from '../sink/tx-writer.js';
import type { BinlogPosition, Checkpoint } from './checkpoint.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { crashPoint } from '../faults.js';

export interface TxBatcherOptions {
  writer: TxWriter;
  /** Where the checkpoint records go; its owner (this process's claim) is written into every checkpoint. */
  store: CheckpointStore;
  /** Changes per Kafka transaction at most (whole binlog transactions only). */
  batchMax: number;
  /** With nothing queued, a transaction younger than this waits for more (ms): fewer commits at low rates. */
  lingerMs?: number;
  /** What the checkpoint carries besides the position (the captured tables, an incremental snapshot's progress). */
  extra?: () => Partial<Checkpoint>;
  /** After each committed transaction, with the changes it held. */
  onCommitted: (checkpoint: Checkpoint, changes: number) => void;
  /** After a transaction was aborted (a stop mid-binlog-transaction, an error). */
  onAborted?: () => void;
}

/** A transaction being filled: its records (if not produced yet), changes, and the position after its last whole binlog transaction. */
interface Filling {
  /** Records not produced yet: waiting for the commit in flight to end, or held for half the linger (see above). */
  staged: KafkaRecord[];
  changes: number;
  /** Whether the Kafka transaction is begun (begun lazily, when its first records are produced). */
  begun: boolean;
  boundary: Checkpoint | undefined;
  /** The changes after `boundary` belong to a binlog transaction not yet ended. */
  midBinlogTx: boolean;
  openedAt: number;
}

/** Held records that go out at once, however young the transaction (see above). */
export const FLUSH_AT = 500;

export class TxBatcher {
  /** The last checkpoint Kafka has committed. */
  committed: Checkpoint;
  private filling: Filling = empty();
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly o: TxBatcherOptions, start: Checkpoint) {
    this.committed = start;
  }

  /** Changes of the current binlog transaction (already encoded; tombstones included). */
  async add(records: KafkaRecord[], changes: number): Promise<void> {
    this.rethrow();
    const f = this.filling;
    if (f.changes === 0) f.openedAt = Date.now();
    f.midBinlogTx = true;
    f.changes += changes;
    for (const r of records) f.staged.push(r);
    // Staging is bounded: past a batch, wait for the commit in flight and produce.
    if (this.inFlight ? f.staged.length >= this.o.batchMax : this.heldLongEnough()) await this.produceStaged();
  }

  /** With no commit in flight: whether the records held have waited half the linger, or are many. */
  private heldLongEnough(): boolean {
    const f = this.filling;
    return f.staged.length >= Math.min(FLUSH_AT, this.o.batchMax) || this.age() >= this.linger / 2;
  }

  /**
   * Records that belong at the boundary just seen (a chunk of a table being added): in the transaction being
   * filled, leaving it whole. Counted as changes, so the transaction commits.
   */
  async addAtBoundary(records: KafkaRecord[], changes: number): Promise<void> {
    if (records.length === 0) return;
    const boundary = this.filling.boundary;
    await this.add(records, changes);
    this.filling.midBinlogTx = false;
    this.filling.boundary = boundary ?? { ...this.committed };
  }

  /** Whether the changes last added belong to a binlog transaction not yet ended. */
  get midBinlogTx(): boolean {
    return this.filling.midBinlogTx;
  }

  /** A binlog transaction ended here: what was added so far is whole. */
  endOfBinlogTx(position: BinlogPosition, tsMs: number): void {
    this.filling.midBinlogTx = false;
    this.filling.boundary = { ...position, tsMs, changes: 0, writtenAtMs: 0, owner: this.o.store.owner };
  }

  /** The position after the last whole binlog transaction seen, committed or not. */
  get latestBoundary(): Checkpoint {
    return this.filling.boundary ?? this.committed;
  }

  /**
   * With no changes of ours in hand, commits just the checkpoint at the latest boundary: the position keeps
   * up with other tables' traffic, so a restart does not re-read it all.
   */
  async checkpointOnly(): Promise<void> {
    if (this.filling.changes > 0) return;
    await this.settled();
    const checkpoint: Checkpoint = { ...this.latestBoundary, ...this.o.extra?.(), changes: this.committed.changes, writtenAtMs: Date.now(), owner: this.o.store.owner };
    await this.o.store.commitOnly(this.o.writer, checkpoint);
    this.committed = checkpoint;
    this.o.onCommitted(checkpoint, 0);
  }

  /** Whether a Kafka transaction holds changes not yet committed (or staged). */
  get holdsChanges(): boolean {
    return this.filling.changes > 0;
  }

  /** Whether what the transaction holds ends at a binlog transaction boundary. */
  get whole(): boolean {
    return this.filling.changes > 0 && !this.filling.midBinlogTx && this.filling.boundary !== undefined;
  }

  /**
   * Commits (without waiting) when the transaction is whole and big or old enough, or nothing else is coming and it
   * has lingered long enough.
   */
  commitIfDue(nothingQueued: boolean): Promise<void> | undefined {
    const f = this.filling;
    if (!this.whole) return undefined;
    const age = this.age();
    if (f.changes >= this.o.batchMax || (nothingQueued && age >= this.linger) || age >= 1_000) return this.startCommit();
    return undefined;
  }

  /** How long the transaction being filled may still linger before it commits when idle (ms; 0 when due). */
  lingerLeft(): number {
    if (!this.whole) return Infinity;
    return Math.max(0, this.linger - this.age());
  }

  /** How long ago the transaction being filled got its first change, ms. */
  private age(): number {
    return Date.now() - this.filling.openedAt;
  }

  private get linger(): number {
    return this.o.lingerMs ?? 0;
  }

  /** Starts committing what is whole; resolves once the commit is under way (the previous one ended). */
  async startCommit(): Promise<void> {
    if (!this.whole) return;
    await this.produceStaged();
    const f = this.filling;
    this.filling = empty();
    const checkpoint: Checkpoint = { ...f.boundary!, ...this.o.extra?.(), changes: this.committed.changes + f.changes, writtenAtMs: Date.now(), owner: this.o.store.owner };
    await this.o.writer.sendPosition(this.o.store.record(checkpoint));
    crashPoint('source.produced');
    this.inFlight = this.o.writer.commitSent().then(() => {
      crashPoint('source.committed');
      this.inFlight = undefined;
      this.committed = checkpoint;
      this.o.onCommitted(checkpoint, f.changes);
    }, (err: unknown) => {
      this.inFlight = undefined;
      this.failure ??= err;
    });
  }

  /** Commits what is whole and waits for it. */
  async commitNow(): Promise<void> {
    await this.startCommit();
    await this.settled();
  }

  /** Once the commit in flight has ended, staged records held long enough go out (call when idle, so they do not wait). */
  async produceStagedIfReady(): Promise<void> {
    this.rethrow();
    if (!this.inFlight && this.filling.staged.length > 0 && this.heldLongEnough()) await this.produceStaged();
  }

  /** The commit in flight has ended; throws its error. */
  async settled(): Promise<void> {
    await this.inFlight;
    this.rethrow();
  }

  /**
   * Ends the batcher: commits what is whole when `keepWhole`, aborts an open transaction otherwise (or with
   * a binlog transaction half-seen). What is dropped is read again from the checkpoint.
   */
  async close(keepWhole: boolean): Promise<Checkpoint> {
    await this.inFlight;
    this.rethrow();
    if (keepWhole && this.whole) await this.commitNow();
    else if (this.filling.begun) {
      this.filling = empty();
      await this.o.writer.abort();
      this.o.onAborted?.();
    }
    return this.committed;
  }

  /** After a failure: wait for a commit in flight (its outcome no longer matters), abort what is open. */
  async abandon(): Promise<void> {
    await this.inFlight;
    if (this.filling.begun) {
      await this.o.writer.abort().catch(() => undefined);
      this.o.onAborted?.();
    }
    this.filling = empty();
  }

  private async produceStaged(): Promise<void> {
    await this.settled();
    const f = this.filling;
    if (f.staged.length === 0 && f.begun) return;
    if (!f.begun && f.changes > 0) await this.begin();
    const records = f.staged;
    f.staged = [];
    await this.produce(records);
  }

  private async begin(): Promise<void> {
    await this.o.writer.begin();
    this.filling.begun = true;
  }

  private produce(records: KafkaRecord[]): Promise<void> {
    return this.o.writer.send(records);
  }

  private rethrow(): void {
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
  }
}

function empty(): Filling {
  return { staged: [], changes: 0, begun: false, boundary: undefined, midBinlogTx: false, openedAt: 0 };
}
