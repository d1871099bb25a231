/**
 * Works out the completeness mark every OUTPUT_MARK_SECONDS: follows the source's checkpoint topic (read_committed),
 * then asks for the last stable offset of every data partition, then for the group's committed offsets; the tracker
 * (src/pool/completeness.ts) turns those into the open and closed marks, written to OUTPUT_DIR and the metric.
 * OUTPUT_CLOSE_EVERY: at each boundary of the clock, the newest checkpoint is chosen, and once the open mark reaches
 * it every open segment is closed, so the closed mark reaches it too.
 */
import type Kafka from 'node-rdkafka';
import type { Config } from '../config.js';
import { connectClient, disconnectWithin, endReader } from '../kafka/client.js';
import type { Logger } from '../log.js';
import { decodeCheckpoint } from '../source/checkpoint.js';
import { CompletenessTracker, type Candidate, type MarkPoint } from './completeness.js';
import { publishMarks, type MarkJson } from './mark-file.js';
import type { PoolMetrics } from './metrics.js';
import type { TableDirs } from './table-outputs.js';

const REQUEST_TIMEOUT_MS = 10_000;

export class MarkProbe {
  private readonly tracker = new CompletenessTracker();
  private consumer: Kafka.KafkaConsumer | undefined;
  private latest: MarkPoint | undefined;
  /** The offset of the last checkpoint record read. */
  private readTo = -1;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private closeTarget: Candidate | undefined;
  private nextCloseAt = Infinity;
  private lastWritten = '';
  private failing = false;
  /** The mark last published, for status and tests. */
  published: MarkJson | undefined;

  constructor(private readonly o: { config: Config; dirs: TableDirs; log: Logger; metrics: PoolMetrics }) {}

  /** Starts in the background; a Kafka that cannot be reached yet is retried, the pool does not wait for it. */
  start(): void {
    const { config } = this.o;
    if (config.pool.markEveryMs === 0) return;
    this.running = this.connect().catch((err: Error) => {
      this.o.log.warn(`completeness probe not started (${err.message}); retrying in ${config.pool.markEveryMs / 1000} s`);
      if (!this.stopped) this.timer = setTimeout(() => this.start(), config.pool.markEveryMs);
    });
  }

  private async connect(): Promise<void> {
    const { config } = this.o;
    const consumer = await connectClient(endReader(config.kafka, config.pool.group, { 'fetch.wait.max.ms': 100 }), 'connecting the completeness probe', config.kafka);
    if (this.stopped) {
      await disconnectWithin(consumer, 10_000);
      return;
    }
    this.consumer = consumer;
    // Per message, not per call (node-rdkafka): a call returns at most 20 x this after the end was reached.
    this.consumer.setDefaultConsumeTimeout(10);
    // From the start: the topic is compacted, so this is each source's last checkpoint and little else.
    this.consumer.assign([{ topic: config.source.checkpointTopic, partition: 0, offset: 0 }]);
    if (config.pool.closeEveryMs > 0) this.nextCloseAt = nextBoundary(Date.now(), config.pool.closeEveryMs);
    const tick = () => {
      this.running = this.round().catch((err: Error) => {
        if (!this.failing) this.o.log.warn(`completeness mark not updated (${err.message}); retried every ${config.pool.markEveryMs / 1000} s`);
        this.failing = true;
      }).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, config.pool.markEveryMs);
      });
    };
    this.timer = setTimeout(tick, Math.min(1000, config.pool.markEveryMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (this.consumer) await disconnectWithin(this.consumer, 10_000);
  }

  private async round(): Promise<void> {
    const consumer = this.consumer!;
    const { config, dirs } = this.o;
    const t0 = performance.now();
    await this.readCheckpoints(consumer);
    const t1 = performance.now();
    if (this.latest) {
      const targets = new Map<string, number>();
      const parts = await this.dataPartitions(consumer);
      await Promise.all(parts.map(async ({ topic, partition }) => {
        targets.set(`${topic}:${partition}`, await lastStableOffset(consumer, topic, partition));
      }));
      this.tracker.offer(this.latest, targets);
    }
    const newest = this.tracker.newest();
    if (newest) {
      const committed = await committedOffsets(consumer, [...newest.targets.keys()]);
      this.tracker.observe(committed, performance.now());
      const behind = [...newest.targets].filter(([k, v]) => v > 0 && (committed.get(k) ?? -1) < v).map(([k, v]) => `${k} ${committed.get(k)}<${v}`);
      this.o.log.debug(`mark: ${Math.round(t1 - t0)} ms checkpoints, ${Math.round(performance.now() - t1)} ms offsets; newest checkpoint ${newest.point.checkpointOffset}, behind: ${behind.join(', ') || 'none'}; open ${this.tracker.marks().open?.checkpointOffset}, oldest open segment ${dirs.oldestOpenSince()}`);
    }
    if (Date.now() >= this.nextCloseAt) {
      this.closeTarget = this.tracker.newest();
      this.nextCloseAt = nextBoundary(Date.now(), config.pool.closeEveryMs);
    }
    const open = this.tracker.marks().open;
    if (this.closeTarget && open && open.checkpointOffset >= this.closeTarget.point.checkpointOffset) {
      this.closeTarget = undefined;
      this.o.log.info('OUTPUT_CLOSE_EVERY: closing every open segment at one mark');
      await dirs.closeAllOpen();
    }
    const marks = this.tracker.settle(dirs.oldestOpenSince());
    const key = `${marks.open?.checkpointOffset}/${marks.closed?.checkpointOffset}`;
    if (key === this.lastWritten && this.published) return;
    this.published = await publishMarks(config.pool.outputDir, config.pool.instance, marks);
    this.lastWritten = key;
    this.failing = false;
    for (const state of ['open', 'closed'] as const) {
      const p = this.published[state];
      if (p?.server_time) this.o.metrics.complete.set({ state }, Date.parse(p.server_time) / 1000);
    }
  }

  /**
   * Reads the checkpoint topic up to its end as of now (its last stable offset), so a source committing every few
   * milliseconds cannot keep the round reading; keeps the last checkpoint of this source id.
   */
  private async readCheckpoints(consumer: Kafka.KafkaConsumer): Promise<void> {
    const { source } = this.o.config;
    const end = await lastStableOffset(consumer, source.checkpointTopic, 0);
    const deadline = Date.now() + REQUEST_TIMEOUT_MS;
    while (this.readTo < end - 1 && Date.now() < deadline) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(20, (err, m) => (err ? reject(err) : resolve(m))));
      for (const m of batch) {
        this.readTo = m.offset;
        if (m.key?.toString() !== source.id || !m.value) continue;
        try {
          const c = decodeCheckpoint(m.value);
          // During a snapshot before streaming, every chunk's checkpoint names the view's position, but the rows
          // of that point are on Kafka only once the snapshot is done: no mark from those.
          if (c.snapshot) continue;
          this.latest = { binlogFile: c.file, binlogPos: c.pos, gtid: c.gtid, serverTimeMs: c.tsMs, sourceReadAtMs: c.writtenAtMs, checkpointOffset: m.offset,
            ...(c.adding?.length ? { snapshotting: c.adding.map((a) => a.table) } : {}) };
        } catch {
          // Not a checkpoint this version reads: the next one may be.
        }
      }
      // Past the end: only transaction markers (and aborted records) lie between the last record and it.
      if (batch.length === 0) break;
    }
  }

  /** The seed's topic and every table topic under TOPIC_PREFIX, as the broker knows them now. */
  private dataPartitions(consumer: Kafka.KafkaConsumer): Promise<Array<{ topic: string; partition: number }>> {
    const { kafka, capture } = this.o.config;
    return new Promise((resolve, reject) => consumer.getMetadata({ allTopics: true, timeout: REQUEST_TIMEOUT_MS }, (err, md) => {
      if (err) return reject(err);
      resolve(md.topics.filter((t) => t.name === kafka.topic || t.name.startsWith(`${capture.topicPrefix}.`))
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.id }))));
    }));
  }
}

/** With read_committed, the high offset the broker reports is the last stable offset. */
function lastStableOffset(consumer: Kafka.KafkaConsumer, topic: string, partition: number): Promise<number> {
  return new Promise((resolve, reject) => consumer.queryWatermarkOffsets(topic, partition, REQUEST_TIMEOUT_MS,
    (err, o) => (err ? reject(err) : resolve(o.highOffset))));
}

function committedOffsets(consumer: Kafka.KafkaConsumer, keys: string[]): Promise<Map<string, number>> {
  const parts = keys.map((k) => {
    const i = k.lastIndexOf(':');
    return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
  });
  return new Promise((resolve, reject) => consumer.committed(parts, REQUEST_TIMEOUT_MS, (err, offsets) => {
    if (err) return reject(err);
    resolve(new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, typeof o.offset === 'number' ? o.offset : -1])));
  }));
}

/** The next multiple of `every` since the epoch after `now`: OUTPUT_CLOSE_EVERY=1h closes on the hour. */
export function nextBoundary(now: number, every: number): number {
  return Math.floor(now / every) * every + every;
}
