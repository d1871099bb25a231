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

/**
 * Changes of one key read in Kafka order (by offset: a key stays in one partition) whose version is lower than
 * the one before it: each is a change delivered out of commit order.
 */
export function orderViolations(changes: Array<{ key: number | string; version: number; offset: number }>): number {
  const byKey = new Map<number | string, Array<{ version: number; offset: number }>>();
  for (const c of changes) {
    const list = byKey.get(c.key);
    if (list) list.push(c);
    else byKey.set(c.key, [c]);
  }
  let violations = 0;
  for (const list of byKey.values()) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) if (list[i]!.version < list[i - 1]!.version) violations++;
  }
  return violations;
}
