/** `replay --from`: earliest, an ISO time, or partition:offset pairs. */
import { UsageError } from '../errors.js';
import type { FromSpec } from '../pool/replay.js';
import { isoTime } from './args.js';

export function parseFrom(value: string | undefined): FromSpec {
  if (value === undefined) throw new UsageError('--from is required: earliest, an ISO time, or partition:offset[,partition:offset…]');
  if (value === 'earliest') return { kind: 'earliest' };
  if (/^\d+:\d+(,\d+:\d+)*$/.test(value)) {
    const offsets = new Map<number, number>();
    for (const pair of value.split(',')) {
      const [p, o] = pair.split(':').map(Number) as [number, number];
      if (offsets.has(p)) throw new UsageError(`--from names partition ${p} twice`);
      offsets.set(p, o);
    }
    return { kind: 'offsets', offsets };
  }
  try {
    return { kind: 'time', at: isoTime('--from', value) };
  } catch {
    throw new UsageError(`--from ${JSON.stringify(value)} is none of its three forms: earliest, an ISO time such as 2026-01-31T12:00:00Z, ` +
      'or partition:offset pairs such as 3:1200,7:0');
  }
}
