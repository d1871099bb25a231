/** The consumer supervisor's Prometheus metrics, created per process and passed in. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createPoolMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    registry,
    linesWritten: new Counter({ name: 'cdc_pool_lines_written_total', help: 'JSON lines appended and fsynced, by consumer', labelNames: ['consumer'], registers }),
    tableLines: new Counter({ name: 'cdc_pool_table_lines_written_total', help: 'JSON lines appended and fsynced, by table (its topic)', labelNames: ['topic'], registers }),
    deadLetters: new Counter({ name: 'cdc_pool_dead_letters_total', help: 'Messages written to a dead-letter file, by consumer', labelNames: ['consumer'], registers }),
    skipped: new Counter({
      name: 'cdc_pool_duplicates_skipped_total', help: 'Redelivered messages skipped because their offset is already in the output', labelNames: ['consumer'], registers,
    }),
    tombstones: new Counter({ name: 'cdc_pool_tombstones_total', help: 'Tombstones read (they produce no line)', labelNames: ['consumer'], registers }),
    rebalances: new Counter({
      name: 'cdc_pool_rebalances_total', help: 'Partition assignments and revocations seen, by consumer', labelNames: ['consumer', 'kind'], registers,
    }),
    restarts: new Counter({ name: 'cdc_pool_consumer_restarts_total', help: 'Consumers restarted after a failure, by consumer', labelNames: ['consumer'], registers }),
    lag: new Gauge({
      name: 'cdc_pool_consumer_lag',
      help: 'Last stable offset minus committed offset of each partition this supervisor holds, by topic (librdkafka statistics, every 5 s)',
      labelNames: ['topic', 'partition'], registers,
    }),
    assigned: new Gauge({ name: 'cdc_pool_assigned_partitions', help: 'Partitions held, by consumer', labelNames: ['consumer'], registers }),
    running: new Gauge({ name: 'cdc_pool_consumers_running', help: 'Consumers connected and consuming', registers }),
    lastWrite: new Gauge({ name: 'cdc_pool_last_write_timestamp_seconds', help: 'Unix time of the last batch written', registers }),
    endToEnd: new Histogram({
      name: 'cdc_pool_end_to_end_latency_seconds',
      help: 'From the source reading a change off the binlog to its line being fsynced',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    complete: new Gauge({
      name: 'cdc_pool_complete_server_time_seconds',
      help: 'Server time of the last change up to which every committed change is in segments: state closed (in closed segments) or open (in closed or open ones)',
      labelNames: ['state'], registers,
    }),
    ready: new Gauge({ name: 'cdc_pool_ready', help: '1 when /readyz says ready', registers }),
  };
}

export type PoolMetrics = ReturnType<typeof createPoolMetrics>;
