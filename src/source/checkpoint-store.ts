/**
 * The source's position in Kafka: read the last committed checkpoint, commit one on its own (the owner's claim,
 * an idle advance), and make sure this process is still the owner before it starts again.
 */
import type { KafkaConnection } from '../config/kafka.js';
import { FencedError } from '../kafka/errors.js';
import type { TxProducer } from '../sink/tx-producer.js';
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

  /** Puts the checkpoint record into the producer's open transaction. */
  async add(producer: TxProducer, checkpoint: Checkpoint): Promise<void> {
    await producer.send(this.o.topic, 0, encodeCheckpoint(checkpoint), Buffer.from(this.o.sourceId));
  }

  /** A transaction holding only the checkpoint. */
  async commitOnly(producer: TxProducer, checkpoint: Checkpoint): Promise<void> {
    await producer.begin();
    await this.add(producer, checkpoint);
    await producer.commit();
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
