/**
 * The source's position in Kafka: read the last committed checkpoint, commit one on its own (the owner's claim,
 * an idle advance), and make sure this process is still the owner before it starts again.
 */
import type { KafkaConnection } from '../config/kafka.js';
import { FencedError } from '../kafka/errors.js';
import type { PositionRecord, TxWriter } from '../sink/tx-writer.js';
import { encodeCheckpoint, readCheckpoint, type Checkpoint } from './checkpoint.js';

export class CheckpointStore {
  /** This process has committed its claim: before that, the checkpoint's owner is a predecessor, not a rival. */
  claimed = false;

  constructor(private readonly o: { kafka: KafkaConnection; topic: string; sourceId: string; owner: string }) {}

  get owner(): string {
    return this.o.owner;
  }

  read(): Promise<Checkpoint | undefined> {
    return readCheckpoint(this.o.kafka, this.o.topic, this.o.sourceId);
  }

  /** The checkpoint as the position record of a transaction. */
  record(checkpoint: Checkpoint): PositionRecord {
    return { topic: this.o.topic, key: this.o.sourceId, value: encodeCheckpoint(checkpoint) };
  }

  /** A transaction holding only the checkpoint. */
  async commitOnly(writer: TxWriter, checkpoint: Checkpoint): Promise<void> {
    await writer.write([], this.record(checkpoint));
    if (checkpoint.owner === this.o.owner) this.claimed = true;
  }

  /** Throws FencedError when a newer instance has claimed the source id since this one did. */
  async assertStillOwner(): Promise<void> {
    if (!this.claimed) return;
    const latest = await this.read();
    if (latest && latest.owner !== this.o.owner) {
      throw new FencedError(
        `source id ${this.o.sourceId} was taken over by ${latest.owner}; this instance (${this.o.owner}) stops ` +
          'so the two never produce side by side');
    }
  }
}
