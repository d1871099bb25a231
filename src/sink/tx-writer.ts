/**
 * The one writer of Kafka transactions: every record the source produces (streamed changes, snapshot chunks,
 * reconciled deletes, backfill chunks) goes out between a begin and a commit that carries the position record
 * saying how far they reach (the source's checkpoint, or the backfill's progress), so records and position commit
 * together or not at all.
 */
import type { KafkaRecord } from '../codec/change-encoder.js';
import { crashPoint } from '../faults.js';
import type { TxProducer } from './tx-producer.js';

/** A record on the (compacted, one-partition) position topic. */
export interface PositionRecord {
  topic: string;
  key: string;
  value: Buffer;
}

export class TxWriter {
  /** Whether a transaction is begun and not yet committed or aborted. */
  open = false;

  constructor(readonly producer: TxProducer) {}

  async begin(): Promise<void> {
    await this.producer.begin();
    this.open = true;
  }

  /** Into the open transaction, awaiting only a full local queue. */
  async send(records: readonly KafkaRecord[]): Promise<void> {
    const producer = this.producer;
    for (const r of records) {
      const full = producer.send(r.topic, r.partition, r.value, r.key);
      if (full) await full;
    }
  }

  /**
   * Adds the position record and commits; resolves when Kafka has committed. `point`: a crash point passed before
   * the commit. No position record only where the last one committed stays right whatever this adds (the
   * reconciled deletes after a purged binlog: a rerun finds the keys already deleted).
   */
  async commit(position: PositionRecord | null, point?: string): Promise<void> {
    if (position) await this.sendPosition(position);
    if (point) crashPoint(point);
    this.open = false;
    await this.producer.commit();
  }

  /** The position record alone, for a caller that commits later (the streaming batcher keeps a commit in flight). */
  async sendPosition(position: PositionRecord): Promise<void> {
    const full = this.producer.send(position.topic, 0, position.value, Buffer.from(position.key));
    if (full) await full;
  }

  /** Commits what the open transaction holds; the position record must be in it already. */
  commitSent(): Promise<void> {
    this.open = false;
    return this.producer.commit();
  }

  async abort(): Promise<void> {
    this.open = false;
    await this.producer.abort();
  }

  /** One whole transaction: the records, then the position. */
  async write(records: readonly KafkaRecord[], position: PositionRecord | null, point?: string): Promise<void> {
    await this.begin();
    await this.send(records);
    await this.commit(position, point);
  }
}
