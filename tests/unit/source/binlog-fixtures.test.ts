/**
 * The decoder on real binlog bytes, without a server: Table_map and Write_rows events cut out of each server's
 * binlog file (tests/fixtures/binlog/capture.ts) are parsed by zongji's own event classes and handed to the
 * source's reader, and the rows it makes must give the lines the snapshot path gave for the same rows on that
 * server. One fixture per server: MariaDB 10.11, MariaDB 11.8 (row events with end_log_pos 0), MySQL 9.7.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parseValueSchema } from '../../../src/codec/avro-parse.js';
import type { ColumnSpec } from '../../../src/codec/column.js';
import { tableShape } from '../../../src/codec/table-shape.js';
import { tableLines } from '../../../src/pool/lines.js';
import { BinlogReader, type SourceItem } from '../../../src/source/binlog-reader.js';

interface Fixture {
  server: string;
  binlogChecksum: string;
  table: string;
  overrides: Array<[string, string]>;
  events: Array<{ type: string; hex: string }>;
  snapshotLines: string[];
}

// zongji's event classes are not exported: they are loaded from its files, as its own connection does.
const zongjiDir = dirname(createRequire(import.meta.url).resolve('@vlasky/zongji'));
const { default: initBinlogPacketClass } = await import(pathToFileURL(join(zongjiDir, 'lib/packet/binlog.js')).href) as
  { default: (z: unknown) => new () => { parse(p: unknown): void; getEvent(): Record<string, unknown> & { getTypeName(): string } } };
const { Parser } = await import(pathToFileURL(join(zongjiDir, 'lib/reader.js')).href) as { Parser: new () => { append(b: Buffer): void } };

const dir = new URL('../../fixtures/binlog/', import.meta.url);
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('fixtures of every server are present', () => {
  assert.deepEqual(fixtures.map((f) => f.replace(/-\d.*$/, '')).sort(), ['mariadb', 'mariadb', 'mysql']);
});

for (const file of fixtures) {
  test(`${file}: real Table_map and Write_rows bytes decode to the lines the snapshot gives for the same rows`, () => {
    const fx = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Fixture;
    const [db, table] = [fx.table.slice(0, fx.table.indexOf('.')), fx.table.slice(fx.table.indexOf('.') + 1)];
    const items: SourceItem[] = [];
    const reader = new BinlogReader({
      mysql: {}, serverId: 1, sourceServerId: 1, flavor: /mariadb/i.test(fx.server) ? 'mariadb' : 'mysql', heartbeatMs: 0,
      captures: (d, t) => d === db && t === table, overrides: () => new Map(fx.overrides),
      start: { file: 'fixture', pos: 4, gtid: null },
      onItem: (item) => items.push(item), onError: (err) => { throw err; },
    });
    // The reader's zongji, never connected: what its connection would have set up.
    const zongji = reader as unknown as { zongji: Record<string, unknown> };
    const z = zongji.zongji;
    Object.assign(z, {
      useChecksum: fx.binlogChecksum !== 'NONE', isMariaDb: /mariadb/i.test(fx.server),
      connection: { config: { dateStrings: true, timezone: 'Z', jsonStrings: true } }, _warnUnsupportedEvent: () => undefined,
    });
    const Packet = initBinlogPacketClass(z);
    const handle = (reader as unknown as { handle(e: unknown): void }).handle.bind(reader);
    for (const e of fx.events) {
      const parser = new Parser();
      parser.append(Buffer.concat([Buffer.from([0]), Buffer.from(e.hex, 'hex')]));
      const packet = new Packet();
      packet.parse(parser);
      const event = packet.getEvent();
      if (event.getTypeName() === 'TableMap') {
        // What zongji's connection does with a self-describing TableMap (binlog_row_metadata=FULL).
        const tm = event as unknown as { tableId: number; schemaName: string; tableName: string; buildColumnSchemas(): unknown; updateColumnInfo(): void };
        (z.tableMap as Record<number, unknown>)[tm.tableId] = { columnSchemas: tm.buildColumnSchemas(), parentSchema: tm.schemaName, tableName: tm.tableName };
        tm.updateColumnInfo();
      }
      handle(event);
    }
    const shapeItem = items.find((i) => i.kind === 'table') as { columns: ColumnSpec[]; keyColumns: string[] } | undefined;
    assert.ok(shapeItem, 'the TableMap announced the table');
    assert.deepEqual(shapeItem.keyColumns, ['id'], 'the primary key from the binlog\'s row metadata');
    const shape = tableShape(db, table, shapeItem.columns, shapeItem.keyColumns);
    const type = parseValueSchema(shape.text);
    const lines = tableLines(JSON.parse(shape.text));
    const decoded = items.flatMap((i) => (i.kind === 'changes' ? i.changes : [])).map((change) => {
      const record = type.fromBuffer(type.toBuffer(shape.record(change, 0))) as Record<string, unknown>;
      return lines(record, { topic: 'fixture', partition: 0, offset: 0 }).replace('"op":"c"', '"op":"r"');
    });
    const byId = (ls: string[]) => [...ls].sort((a, b) => Number(/^\{"id":(\d+)/.exec(a)![1]) - Number(/^\{"id":(\d+)/.exec(b)![1]));
    assert.equal(decoded.length, fx.snapshotLines.length);
    assert.deepEqual(byId(decoded), byId(fx.snapshotLines));
  });
}
