/**
 * Runs the pool: one slot per consumer, each restarted with backoff when it fails, while the group hands its
 * partitions to the others. Owns the shared output index, so a restarted consumer (or one taking over a
 * partition) skips what another already wrote.
 */
import { mkdir } from 'node:fs/promises';
import { backoffDelay, Pause } from '../backoff.js';
import { RegistryConfigError } from '../codec/errors.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { createPoolMetrics, type PoolMetrics } from './metrics.js';
import { StandaloneKafkaProbe } from '../sink/probe.js';
import { PoolConsumer } from './consumer.js';
import { Decoder } from './decoder.js';
import { InlineLines, LineWorkers, type LineFactory } from './line-workers.js';
import { MarkProbe } from './mark-probe.js';
import { OutputInUseError, OutputLock } from './output-lock.js';
import { TableDirs } from './table-outputs.js';

export interface SupervisorDeps {
  config: Config;
  registry: Registry;
  logger: Logger;
  metrics?: PoolMetrics;
}

/** A consume loop that has not come round for this long is stuck (on Kafka, or on the disk). */
const STUCK_MS = 60_000;

export class Supervisor {
  private stopping = false;
  private readonly running = new Map<number, PoolConsumer>();
  private readonly log: Logger;
  private recycleNext = 1;
  private readonly pause = new Pause();
  private started = false;
  private fatal: PipelineError | undefined;
  private probe: StandaloneKafkaProbe | undefined;
  private shortSinceMs: number | undefined;
  private everConnected = false;
  readonly metrics: PoolMetrics;
  /** The completeness mark's probe, once started. */
  mark: MarkProbe | undefined;

  constructor(private readonly deps: SupervisorDeps) {
    this.log = deps.logger.child({ component: 'pool' });
    this.metrics = deps.metrics ?? createPoolMetrics();
  }

  /** Why the pool is not ready (empty when it is): for /readyz. */
  notReady(): string[] {
    if (!this.started) return ['starting: indexing the output directory'];
    if (this.stopping) return ['stopping'];
    const reasons: string[] = [];
    const consumers = [...this.running.values()];
    const connected = consumers.filter((c) => c.connected);
    this.metrics.running.set(connected.length);
    const size = this.deps.config.pool.size;
    // One consumer restarting (backoff, a SIGUSR2 recycle) is routine: only a shortfall that lasts counts.
    if (connected.length === size) this.shortSinceMs = undefined;
    else this.shortSinceMs ??= Date.now();
    if (connected.length === 0) reasons.push('no consumer connected (starting or restarting)');
    else if (this.shortSinceMs !== undefined && Date.now() - this.shortSinceMs > STUCK_MS) {
      reasons.push(`${size - connected.length} of ${size} consumers not connected for over ${STUCK_MS / 1000} s`);
    }
    const kafka = this.probe?.problem;
    if (kafka) reasons.push(kafka);
    const stuck = connected.filter((c) => Date.now() - c.lastLoopMs > STUCK_MS).length;
    if (stuck > 0) reasons.push(`${stuck} consumer loop(s) have not come round for over ${STUCK_MS / 1000} s`);
    return reasons;
  }

  requestStop(): void {
    this.stopping = true;
    for (const c of this.running.values()) c.requestStop();
    this.pause.wake();
  }

  /** Crashes one consumer on purpose (round robin), as an operator's recycle or a fault drill. */
  recycleOne(): void {
    const slots = [...this.running.keys()].sort((a, b) => a - b);
    if (slots.length === 0) return;
    const slot = slots.find((s) => s >= this.recycleNext) ?? slots[0]!;
    this.recycleNext = slot + 1;
    this.log.warn(`recycling consumer-${slot}: it stops without committing, as in a crash`);
    this.running.get(slot)!.abort(`consumer-${slot} recycled on request`);
  }

  async run(): Promise<void> {
    const { config } = this.deps;
    await mkdir(config.pool.outputDir, { recursive: true });
    const lock = await OutputLock.acquire(config.pool.outputDir, config.pool.instance, this.log, (why) => {
      this.fatal ??= new OutputInUseError(why);
      this.requestStop();
    });
    try {
      await this.runLocked();
    } finally {
      await lock.release();
    }
  }

  private async runLocked(): Promise<void> {
    const { config } = this.deps;
    const dirs = new TableDirs({
      root: config.pool.outputDir, policy: config.pool.segments, log: this.log, instance: config.pool.instance,
      seedTopic: config.kafka.topic, prefix: config.capture.topicPrefix,
      onOpened: (folder, report) => {
        // Closed segments are known from the manifest; only open ones (and history new to it) are read.
        const where = folder === '' ? config.pool.outputDir : `${config.pool.outputDir}/${folder}`;
        this.log.info(`output ${where}: ${report.closedFiles} closed segments, ${report.lines} lines already written; ` +
          `read ${report.scannedLines} lines of ${report.scannedFiles} files at start`, { repairedBytes: report.repairedBytes });
        if (report.repairedBytes > 0) this.log.warn(`cut ${report.repairedBytes} bytes of torn last lines left by a crash in ${where}`);
      },
    });
    // The seed's directory at once, every other table's with its topic's first message (before any of it is written).
    await dirs.open(config.kafka.topic);
    this.started = true;
    this.probe = new StandaloneKafkaProbe(config.kafka);
    // A wrong registry URL would make every message look poison: stop before consuming any. A registry that is
    // only down is retried by the consumers, message by message, without dead-lettering.
    const outage = await this.deps.registry.checkSettings();
    if (outage) this.log.warn(`${outage}; the consumers wait for it`);
    const decoder = new Decoder(this.deps.registry, { seedTopic: config.kafka.topic, rule: config.pool.discount });
    const lines = config.pool.workers > 0
      ? new LineWorkers(decoder, config.pool.workers, { seedTopic: config.kafka.topic, rule: config.pool.discount }, this.log)
      : new InlineLines(decoder);
    const slots = Array.from({ length: config.pool.size }, (_, i) => this.slot(i + 1, decoder, lines, dirs));
    this.mark = new MarkProbe({ config, dirs, log: this.log, metrics: this.metrics });
    this.mark.start();
    try {
      await Promise.all(slots);
    } finally {
      await this.mark.stop();
      await this.probe.stop();
      await lines.close();
      await dirs.drain();
    }
    if (this.fatal) throw this.fatal;
    this.log.info('all consumers stopped');
  }

  private async slot(slot: number, decoder: Decoder, lines: LineFactory, dirs: TableDirs): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const consumer = new PoolConsumer({ config: this.deps.config, slot, decoder, lines, dirs, logger: this.deps.logger, metrics: this.metrics });
      this.running.set(slot, consumer);
      const started = Date.now();
      try {
        await consumer.run();
      } catch (err) {
        this.everConnected ||= consumer.everConnected || [...this.running.values()].some((c) => c.connected);
        if (err instanceof RegistryConfigError || (err instanceof PipelineError && err.exitCode === 2 && !this.everConnected)) {
          // Credentials refused from the start: every restart would be refused too. Stop the pool and let the
          // operator fix them. (Refused later, e.g. while a broker restarts, it is retried like any failure.)
          this.fatal ??= err;
          this.requestStop();
          break;
        }
        if (Date.now() - started > 60_000) failures = 0;
        failures++;
        this.metrics.restarts.inc({ consumer: String(slot) });
        const delay = backoffDelay(failures);
        this.log.error(`consumer-${slot} failed: ${(err as Error).message}; restarting in ${Math.round(delay)} ms`, {
          lines: consumer.stats.lines, failures,
        });
        await this.pause.for(delay);
      } finally {
        this.running.delete(slot);
      }
    }
  }

}
