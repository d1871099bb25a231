/**
 * Where a batch's lines are made. The consumers' thread reads from Kafka, writes, fsyncs and commits; decoding and
 * transforming every message is handed to POOL_WORKERS worker threads (the second core), or done in place with 0.
 * Either way it is one code path (makeLines) and the caller gets each topic's lines in message order; nothing
 * about "fsync before commit" moves: the caller writes and commits only what came back.
 */
import { Worker } from 'node:worker_threads';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Decoder } from './decoder.js';
import { makeLines, type TopicLines } from './line-batch.js';
import { packedTransfers, type PackedBatch } from './packed-batch.js';
import type { DiscountRule } from './transform.js';

export interface LineFactory {
  /** Each topic's lines of a packed batch (its values' memory may be handed over: not to be read afterwards). */
  make(batch: PackedBatch): Promise<TopicLines[]>;
  close(): Promise<void>;
}

/** On the caller's thread: replay, tests, and POOL_WORKERS=0. */
export class InlineLines implements LineFactory {
  constructor(private readonly decoder: Decoder) {}

  async make(batch: PackedBatch): Promise<TopicLines[]> {
    await this.decoder.prepareIds(batch.schemaIds);
    return makeLines(this.decoder, batch);
  }

  async close(): Promise<void> {}
}

/** A line worker died or answered with an error: the batch is read again after the consumer's restart. */
export class LineWorkerError extends PipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

interface Call {
  resolve: (made: TopicLines[]) => void;
  reject: (err: Error) => void;
}

class Thread {
  readonly worker: Worker;
  /** Schema ids this worker has been handed. */
  readonly shipped = new Set<number>();
  readonly calls = new Map<number, Call>();
  dead = false;

  constructor(url: URL, data: WorkerOptions, onExit: (t: Thread) => void) {
    this.worker = new Worker(url, { workerData: data });
    this.worker.on('message', (m: { id: number; made?: TopicLines[]; error?: string }) => {
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      if (m.error !== undefined) call.reject(new LineWorkerError(`a line worker failed on a batch: ${m.error}`));
      else call.resolve(m.made!);
    });
    const fail = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const c of this.calls.values()) c.reject(new LineWorkerError(why));
      this.calls.clear();
      onExit(this);
    };
    this.worker.on('error', (err) => fail(`a line worker failed: ${err.message}`));
    this.worker.on('exit', (code) => fail(`a line worker exited (code ${code})`));
    // An idle worker does not keep the process alive; one with a batch in hand is awaited by its consumer anyway.
    this.worker.unref();
  }
}

export interface WorkerOptions {
  seedTopic: string;
  rule: DiscountRule;
}

const entry = new URL(import.meta.url.endsWith('.ts') ? './line-worker.ts' : './line-worker.js', import.meta.url);

export class LineWorkers implements LineFactory {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly decoder: Decoder, private readonly count: number, private readonly options: WorkerOptions, private readonly log?: Logger) {}

  async make(batch: PackedBatch): Promise<TopicLines[]> {
    // The registry is asked here, once per new schema: its outage fails the batch as it always did.
    await this.decoder.prepareIds(batch.schemaIds);
    const thread = this.pick();
    const schemas: Array<[number, { text: string } | { poison: string }]> = [];
    for (const id of batch.schemaIds) {
      const s = thread.shipped.has(id) ? undefined : this.decoder.schemaFor(id);
      if (s) schemas.push([id, s]);
    }
    const id = this.nextId++;
    return new Promise<TopicLines[]>((resolve, reject) => {
      thread.calls.set(id, { resolve, reject });
      thread.worker.ref();
      try {
        thread.worker.postMessage({ id, batch, schemas }, packedTransfers(batch));
      } catch (err) {
        thread.calls.delete(id);
        reject(new LineWorkerError(`handing a batch to a line worker failed: ${(err as Error).message}`, { cause: err }));
        return;
      }
      // Handed over: this worker has these schemas from now on.
      for (const [schemaId] of schemas) thread.shipped.add(schemaId);
    }).finally(() => {
      if (thread.calls.size === 0 && !thread.dead) thread.worker.unref();
    });
  }

  /** The worker with the fewest batches in hand; a dead one is replaced. */
  private pick(): Thread {
    if (this.closed) throw new LineWorkerError('the line workers are closed');
    while (this.threads.length < this.count) {
      this.threads.push(new Thread(entry, this.options, (t) => {
        const at = this.threads.indexOf(t);
        if (at >= 0) this.threads.splice(at, 1);
        if (!this.closed) this.log?.warn('a line worker ended; a new one takes its place');
      }));
    }
    let best = this.threads[0]!;
    for (const t of this.threads) if (t.calls.size < best.calls.size) best = t;
    return best;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    this.threads.length = 0;
  }
}
