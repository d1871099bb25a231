/**
 * Output segment names. A consumer writes `<base>.<seq>.jsonl.open` (the `.deadletter` stream the same way);
 * closing it renames it to `<base>.<seq>.jsonl` (or compresses it to `<base>.<seq>.jsonl.gz`), and with Parquet
 * output writes `<base>.<seq>.parquet` (through `.parquet.tmp`), so a loader that takes `*.jsonl`, `*.jsonl.gz` or
 * `*.parquet` only ever sees complete files that will not change again. The sequence is zero-padded: one
 * consumer's segments sort in write order.
 */
import { isManifestFile } from './segment-manifest.js';

export type SegmentState = 'open' | 'closed' | 'gz' | 'gz-tmp' | 'parquet' | 'parquet-tmp';

export interface SegmentName {
  /** Which writer: `consumer-3`, `consumer-<instance>-3`, `replay`. */
  base: string;
  seq: number;
  dead: boolean;
  state: SegmentState;
}

const PATTERN = /^(.+)\.(\d{6,})(\.deadletter)?(\.jsonl|\.jsonl\.open|\.jsonl\.gz|\.jsonl\.gz\.tmp|\.parquet|\.parquet\.tmp)$/;
const STATES: Record<string, SegmentState> = {
  '.jsonl': 'closed', '.jsonl.open': 'open', '.jsonl.gz': 'gz', '.jsonl.gz.tmp': 'gz-tmp', '.parquet': 'parquet', '.parquet.tmp': 'parquet-tmp',
};
const SUFFIX: Record<SegmentState, string> = {
  closed: '.jsonl', open: '.jsonl.open', gz: '.jsonl.gz', 'gz-tmp': '.jsonl.gz.tmp', parquet: '.parquet', 'parquet-tmp': '.parquet.tmp',
};

/** Undefined for names that are not segments (files of the one-file-per-consumer layout, anything else). */
export function parseSegment(name: string): SegmentName | undefined {
  const m = PATTERN.exec(name);
  if (!m) return undefined;
  return { base: m[1]!, seq: Number(m[2]), dead: m[3] !== undefined, state: STATES[m[4]!]! };
}

export function segmentFile(s: SegmentName): string {
  return `${s.base}.${String(s.seq).padStart(6, '0')}${s.dead ? '.deadletter' : ''}${SUFFIX[s.state]}`;
}

/** The name a closed segment is known by in the manifest, compressed or not. */
export function closedKey(s: SegmentName): string {
  return segmentFile({ ...s, state: 'closed' });
}

/** One writer's stream: its lines or its dead letters. */
export function streamKey(base: string, dead: boolean): string {
  return dead ? `${base}.deadletter` : base;
}

/** Output of the previous layout (one growing file per consumer), read as closed history. */
export function isLegacyOutput(name: string): boolean {
  return name.endsWith('.jsonl') && parseSegment(name) === undefined;
}

/** Is this file, closed and complete, one a loader may take (a closed segment or an old-layout file)? */
export function isClosedOutput(name: string): boolean {
  const s = parseSegment(name);
  return s ? s.state === 'closed' || s.state === 'gz' || s.state === 'parquet' : name.endsWith('.jsonl');
}

/** Where a segment's Parquet columns are kept while it is open (a hidden file beside it): the plan its lines follow. */
export function columnsFile(s: SegmentName): string {
  return `.${s.base}.${String(s.seq).padStart(6, '0')}.columns.json`;
}

export function isDeadLetterOutput(name: string): boolean {
  return parseSegment(name)?.dead ?? name.endsWith('.deadletter.jsonl');
}

/** Everything the pool keeps in OUTPUT_DIR: segments in any state, old-layout files and the manifest. */
export function isPoolOutput(name: string): boolean {
  return isManifestFile(name) || parseSegment(name) !== undefined || name.endsWith('.jsonl');
}
