/**
 * Applies planned transactions to the real database: one multi-row statement per kind, all of a plan in one
 * transaction, so the binlog holds transactions of the requested size.
 */
import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { TxPlan } from './plan.js';

export interface Applied {
  inserted: number;
  updated: number;
  deleted: number;
}

export async function applyPlan(conn: PoolConnection, table: string, plan: TxPlan): Promise<Applied> {
  const applied: Applied = { inserted: 0, updated: 0, deleted: 0 };
  await conn.beginTransaction();
  try {
    if (plan.inserts.length > 0) {
      const rows = plan.inserts.map((r) => [r.id, r.name, r.category, r.price]);
      const [res] = await conn.query<ResultSetHeader>(`INSERT INTO \`${table}\` (id, name, category, price) VALUES ?`, [rows]);
      applied.inserted = res.affectedRows;
    }
    if (plan.updates.length > 0) {
      // One statement for the whole batch: a CASE per column, untouched columns keep their value.
      const ids = plan.updates.map((u) => u.id);
      const params: unknown[] = [];
      const column = (name: 'name' | 'category' | 'price'): string => {
        const arms = plan.updates.filter((u) => u[name] !== undefined);
        if (arms.length === 0) return '';
        for (const u of arms) params.push(u.id, u[name]);
        return `${name} = CASE id ${arms.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${name} END`;
      };
      const sets = [column('name'), column('category'), column('price')].filter((s) => s !== '').join(', ');
      params.push(ids);
      const [res] = await conn.query<ResultSetHeader>(`UPDATE \`${table}\` SET ${sets} WHERE id IN (?)`, params);
      applied.updated = res.affectedRows;
    }
    if (plan.deletes.length > 0) {
      const [res] = await conn.query<ResultSetHeader>(`DELETE FROM \`${table}\` WHERE id IN (?)`, [plan.deletes]);
      applied.deleted = res.affectedRows;
    }
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  }
  return applied;
}

export async function liveIds(pool: Pool, table: string): Promise<number[]> {
  const [rows] = await pool.query<Array<{ id: number } & import('mysql2').RowDataPacket>>(`SELECT id FROM \`${table}\``);
  return rows.map((r) => r.id);
}
