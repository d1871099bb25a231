/**
 * Quantiles from a Prometheus histogram's cumulative buckets, interpolated within the bucket the way PromQL's
 * histogram_quantile does. Pure, so status can read the pool's /metrics without Prometheus.
 */
export interface Bucket {
  /** Upper bound; Infinity for +Inf. */
  le: number;
  /** Observations at or below `le` (cumulative). */
  count: number;
}

export function histogramQuantile(q: number, buckets: Bucket[]): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      // Beyond the last finite bound nothing is known but that bound.
      if (!Number.isFinite(b.le)) return lower;
      const inBucket = b.count - below;
      return inBucket === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/** The buckets of one histogram in Prometheus' text format. */
export function parseHistogram(text: string, name: string): Bucket[] {
  const buckets: Bucket[] = [];
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const m = /le="([^"]+)"\}\s+(\S+)/.exec(line);
    if (!m) continue;
    buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) });
  }
  return buckets;
}
