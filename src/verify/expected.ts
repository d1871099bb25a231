/**
 * What the files should hold for a table, from MySQL: each row read in the verify's snapshot, encoded and decoded as
 * the pipeline does (the table's Avro encoder, then the pool's line maker with its transform), written as the line a
 * backfill would give, one per row, with the row's key as a cursor (`_k`) so a repair can read it again. Streamed to
 * a file a chunk at a time: memory stays bounded by the chunk.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type mysql from 'mysql2/promise';
import type { ParquetPlan } from '../codec/parquet-column.js';
import type { Decoder } from '../pool/decoder.js';
import { recordsOf, type CapturedTable } from '../source/capture/tables.js';
import type { BinlogPosition } from '../source/checkpoint.js';
import { cursorOf, readChunks, type ChunkPlan } from '../source/snapshot.js';

export interface Expected {
  rows: number;
  /** The columns of the lines (the table's current writer schema); undefined when the table has no rows. */
  plan: ParquetPlan | undefined;
}

/** `row` → the line the pool would write for it (an `r` event), without its final newline, `_k` added. */
export async function expectedLines(rows: Array<Record<string, unknown>>, o: {
  table: CapturedTable; plan: ChunkPlan; decoder: Decoder; position: BinlogPosition; serverId: number;
}): Promise<{ lines: string[]; plan: ParquetPlan | undefined }> {
  const { db, table } = o.plan.ref;
  const now = Date.now();
  const events = rows.map((row, i) => ({
    op: 'r' as const, row,
    source: { serverId: o.serverId, db, table, file: o.position.file, pos: o.position.pos, row: i, gtid: null, tsMs: now, snapshot: true },
  }));
  const records = recordsOf(o.table, events, now, false);
  await o.decoder.prepare(records.map((r) => r.value!));
  const lines: string[] = [];
  let plan: ParquetPlan | undefined;
  records.forEach((r, i) => {
    const line = o.decoder.lineOf(r.topic, r.value!, { topic: r.topic, partition: r.partition ?? -1, offset: -1 });
    plan ??= o.decoder.lastPlan();
    lines.push(`${line.slice(0, -2)},"_k":${JSON.stringify(cursorOf(o.plan.order, rows[i]!).values)}}`);
  });
  return { lines, plan };
}

export async function writeExpected(path: string, o: {
  conn: mysql.Connection; table: CapturedTable; plan: ChunkPlan; decoder: Decoder; position: BinlogPosition; serverId: number;
  chunk: number; onRows?: (rows: number) => void;
}): Promise<Expected> {
  const out = createWriteStream(path);
  let rows = 0;
  let plan: ParquetPlan | undefined;
  try {
    for await (const chunk of readChunks(o.conn, o.plan, { after: null, chunk: o.chunk })) {
      const made = await expectedLines(chunk, o);
      plan ??= made.plan;
      if (!out.write(`${made.lines.join('\n')}\n`)) await once(out, 'drain');
      rows += chunk.length;
      o.onRows?.(rows);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { rows, plan };
}
