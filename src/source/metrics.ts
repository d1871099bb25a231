/**
 * The source daemon's Prometheus metrics. Created per process and passed in, so tests and several daemons in
 * one process never share counters.
 */
import { Counter, Gauge, Registry } from 'prom-client';

export function createSourceMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    registry,
    changesRead: new Counter({ name: 'cdc_source_changes_read_total', help: 'Row changes of captured tables read from the binlog, by table', labelNames: ['table'], registers }),
    changesProduced: new Counter({
      name: 'cdc_source_changes_produced_total', help: 'Change events handed to the Kafka producer, by op (c, u, d, r) and table', labelNames: ['op', 'table'], registers,
    }),
    truncates: new Counter({ name: 'cdc_source_truncates_total', help: 'TRUNCATE statements on captured tables (no row events reach the topic for them)', labelNames: ['table'], registers }),
    changesCommitted: new Counter({ name: 'cdc_source_changes_committed_total', help: 'Change events in committed Kafka transactions', registers }),
    transactions: new Counter({
      name: 'cdc_source_transactions_total', help: 'Kafka transactions by outcome (committed, aborted)', labelNames: ['outcome'], registers,
    }),
    snapshotRows: new Counter({ name: 'cdc_source_snapshot_rows_total', help: 'Rows emitted by snapshots (cold start, purged-binlog fallback)', registers }),
    msBehindSource: new Gauge({
      name: 'cdc_source_milliseconds_behind_source',
      help: 'Now minus the binlog time of the last committed change, measured when it was committed (Debezium\'s MilliSecondsBehindSource)',
      registers,
    }),
    binlogFile: new Gauge({ name: 'cdc_source_binlog_file_number', help: 'Sequence number of the checkpointed binlog file (mysql-bin.000042 is 42)', registers }),
    binlogPosition: new Gauge({ name: 'cdc_source_binlog_position_bytes', help: 'Byte position of the checkpoint in its binlog file', registers }),
    queueDepth: new Gauge({ name: 'cdc_source_queue_depth', help: 'Changes read from the binlog and not yet handed to the producer', registers }),
    producerQueue: new Gauge({ name: 'cdc_source_producer_queue_messages', help: 'Messages in librdkafka\'s queue, not yet acknowledged by Kafka', registers }),
    lastCommit: new Gauge({ name: 'cdc_source_last_commit_timestamp_seconds', help: 'Unix time of the last committed Kafka transaction', registers }),
    restarts: new Counter({ name: 'cdc_source_session_restarts_total', help: 'Sessions restarted from the checkpoint after a retriable error', registers }),
    ready: new Gauge({ name: 'cdc_source_ready', help: '1 when /readyz says ready', registers }),
  };
}

export type SourceMetrics = ReturnType<typeof createSourceMetrics>;
