/**
 * Splits a workload of inserts, updates and deletes into transactions, interleaving the three kinds in
 * proportion so every transaction looks like real traffic. Pure: ids in, statements' rows out.
 */
import { randomEdit, randomProduct, type ProductEdit, type ProductRow } from './catalogue.js';

export interface Workload {
  inserts: number;
  updates: number;
  deletes: number;
  txSize: number;
}

export interface TxPlan {
  inserts: ProductRow[];
  updates: ProductEdit[];
  deletes: number[];
}

/**
 * Live ids are tracked so updates and deletes hit rows that exist at that point of the run; an id deleted
 * in a transaction is not updated later in it.
 */
export class WorkloadPlanner {
  private remaining: { inserts: number; updates: number; deletes: number };
  private nextId: number;
  private readonly live: number[];

  constructor(
    private readonly rand: () => number,
    workload: Workload,
    existingIds: number[],
  ) {
    if (!Number.isInteger(workload.txSize) || workload.txSize < 1) throw new RangeError('txSize must be >= 1');
    this.remaining = { inserts: workload.inserts, updates: workload.updates, deletes: workload.deletes };
    this.live = [...existingIds];
    this.nextId = existingIds.reduce((max, id) => Math.max(max, id), 0) + 1;
    this.txSize = workload.txSize;
  }

  private readonly txSize: number;

  get done(): boolean {
    const r = this.remaining;
    return r.inserts + r.updates + r.deletes === 0 || (r.inserts === 0 && this.live.length === 0);
  }

  next(): TxPlan | undefined {
    if (this.done) return undefined;
    const plan: TxPlan = { inserts: [], updates: [], deletes: [] };
    // Ids already updated or deleted in this transaction: one statement per kind can change a row only once.
    const touched = new Set<number>();
    for (let n = 0; n < this.txSize; n++) {
      const kind = this.chooseKind();
      if (kind === undefined) break;
      if (kind === 'insert') {
        const row = randomProduct(this.rand, this.nextId++);
        plan.inserts.push(row);
        this.live.push(row.id);
        this.remaining.inserts--;
      } else if (kind === 'update') {
        const id = this.randomLiveId(touched);
        if (id === undefined) break;
        touched.add(id);
        plan.updates.push(randomEdit(this.rand, id));
        this.remaining.updates--;
      } else {
        const index = Math.floor(this.rand() * this.live.length);
        const id = this.live[index] as number;
        // Swap-remove keeps deletes O(1).
        this.live[index] = this.live[this.live.length - 1] as number;
        this.live.pop();
        touched.add(id);
        plan.deletes.push(id);
        this.remaining.deletes--;
      }
    }
    return plan.inserts.length + plan.updates.length + plan.deletes.length > 0 ? plan : undefined;
  }

  private randomLiveId(exclude: Set<number>): number | undefined {
    if (this.live.length === 0) return undefined;
    for (let attempt = 0; attempt < 8; attempt++) {
      const id = this.live[Math.floor(this.rand() * this.live.length)] as number;
      if (!exclude.has(id)) return id;
    }
    return this.live.find((id) => !exclude.has(id));
  }

  /** Weighted by what is left, so the kinds stay interleaved to the end of the run. */
  private chooseKind(): 'insert' | 'update' | 'delete' | undefined {
    const r = this.remaining;
    const canTouch = this.live.length > 0;
    const weights = { insert: r.inserts, update: canTouch ? r.updates : 0, delete: canTouch ? r.deletes : 0 };
    const total = weights.insert + weights.update + weights.delete;
    if (total === 0) return undefined;
    let x = this.rand() * total;
    for (const kind of ['insert', 'update', 'delete'] as const) {
      x -= weights[kind];
      if (x < 0) return kind;
    }
    return 'insert';
  }
}
