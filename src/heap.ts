/**
 * V8's old generation, sized per process for memory. After each full collection V8 lets the old generation grow
 * by a factor of its own before the next; at a catch-up's allocation rate that let 110-125 MiB of garbage pile
 * up over the source's 18 MiB live heap. `--heap-growing-percent` fixes the factor at 1 + percent/100. Not a cap:
 * a larger live heap (a wide row) raises the limit with it. Set at run time, where each process starts, because
 * V8 reads it at every limit it computes and the two processes want different values (docs/performance.md#memory):
 * the source 25 (peak RSS 130-138 MiB on a 1M backlog instead of 228-252, ~15 % slower), the pool 100 (188-189
 * MiB instead of 206-227, at the same speed; 25 cost it 10-15 %).
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = { source: 25, pool: 100 } as const;

export function sizeHeap(process: keyof typeof HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT[process]}`);
}
