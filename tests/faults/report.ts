/**
 * The fault suite's findings, one JSON object per line in .stack/faults/results.jsonl, turned into
 * docs/reliability.md by scripts/reliability-report.ts after `npm run test:faults`.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Finding {
  suite: string;
  /** The fault or input. */
  fault: string;
  /** What the pipeline did, in a sentence. */
  outcome: string;
  /** Changes that never reached a line; null where the row promises nothing about it (a refused input). */
  lost: number | null;
  duplicated: number | null;
}

export const RESULTS = process.env.CDC_FAULTS_RESULTS ?? join(fileURLToPath(new URL('../../', import.meta.url)), '.stack/faults/results.jsonl');

/** Kept only in `npm run test:faults` (CDC_FAULTS_RECORD=1); elsewhere the same cases just assert. */
export function record(finding: Finding): void {
  if (process.env.CDC_FAULTS_RECORD !== '1') return;
  mkdirSync(dirname(RESULTS), { recursive: true });
  appendFileSync(RESULTS, `${JSON.stringify({ ...finding, at: new Date().toISOString() })}\n`);
}

/** Lines per `partition:offset` and per expected id: what was lost and what was written twice. */
export function tally(keys: string[], expectedCount: number): { lost: number; duplicated: number } {
  const distinct = new Set(keys).size;
  return { lost: Math.max(0, expectedCount - distinct), duplicated: keys.length - distinct };
}
