/**
 * The parts of librdkafka's statistics (emitted every `statistics.interval.ms` as JSON) the pipeline watches:
 * how many messages wait in the client, and per-partition consumer lag. (Broker connection states are not used
 * for health: an idle client closes connections it does not need; see probe.ts.)
 */
export interface ClientStats {
  queuedMessages: number;
  /** Consumer lag by partition of `topic` (offsets; -1 when librdkafka does not know it yet). */
  lag: Map<number, number>;
  /** The same for every topic the client reads: `topic:partition` → lag. */
  lagByTopic: Map<string, number>;
}

interface RawStats {
  msg_cnt?: number;
  topics?: Record<string, { partitions?: Record<string, { partition?: number; consumer_lag?: number; fetch_state?: string }> }>;
}

export const STATS_INTERVAL_MS = 5000;

export function parseStats(json: string, topic?: string): ClientStats {
  const raw = JSON.parse(json) as RawStats;
  const lag = new Map<number, number>();
  const lagByTopic = new Map<string, number>();
  for (const [name, t] of Object.entries(raw.topics ?? {})) {
    for (const p of Object.values(t.partitions ?? {})) {
      if (p.partition === undefined || p.partition < 0 || p.fetch_state === 'none') continue;
      lagByTopic.set(`${name}:${p.partition}`, p.consumer_lag ?? -1);
      if (name === topic) lag.set(p.partition, p.consumer_lag ?? -1);
    }
  }
  return { queuedMessages: raw.msg_cnt ?? 0, lag, lagByTopic };
}
