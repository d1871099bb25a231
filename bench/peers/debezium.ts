/**
 * The Debezium peer of the catch-up benchmark: drains a recorded binlog range with Debezium's MariaDB connector
 * under Kafka Connect standalone (jars from Maven Central, see bench/peers/debezium/pom.xml), so its catch-up rate
 * can be set beside ours in the same run.
 */
import { spawn } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Kafka from 'node-rdkafka';
import { loadConfig, type Config } from '../../src/config.js';
import { rdkafkaOptions } from '../../src/config/kafka.js';
import { TopicAdmin } from '../lib/topics.js';
import { cpuSeconds, ROOT, rssMiB } from '../lib/procs.js';

export interface PeerCatchUp {
  /** Records Debezium wrote for the range, told by their binlog positions (range.changes when all is well). */
  changes: number;
  /** From the JVM's start until the topic held range.changes records. */
  seconds: number;
  changesPerSecond: number;
  /** range.changes less the count first seen above 0, over the time since. */
  afterFirstEventPerSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

export interface BinlogRange {
  start: { file: string; pos: number; gtid: string | null };
  end: { file: string; pos: number };
  changes: number;
}

const POM = join(ROOT, 'bench/peers/debezium/pom.xml');
const DIR = join(ROOT, '.bench/debezium');
const LIBS = join(DIR, 'libs');
/** The count must move at least this often, JVM start and schema recovery included, or the run fails. */
const STALL_MS = 120_000;

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

/** Resolves the jars into .bench/debezium/libs, unless they are there for this very pom (sha1 stamp). */
export async function ensureDebezium(log: (line: string) => void = stderrLog): Promise<void> {
  const stamp = createHash('sha1').update(readFileSync(POM)).digest('hex');
  const stampFile = join(LIBS, '.stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) return;
  const mavenLog = join(DIR, 'maven.log');
  log(`debezium: resolving jars from Maven Central into ${LIBS} (maven output: ${mavenLog})`);
  rmSync(LIBS, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const started = performance.now();
  const out = openSync(mavenLog, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const mvn = spawn('mvn', ['-B', '-q', '-Dstyle.color=never', `-Dmaven.repo.local=${join(ROOT, '.stack/m2')}`, '-f', POM,
        'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${LIBS}`], { cwd: ROOT, stdio: ['ignore', out, out] });
      mvn.on('error', reject);
      mvn.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`maven could not resolve the Debezium peer (exit ${code}); see ${mavenLog}:\n${tail(mavenLog, 40)}`);
  } finally {
    closeSync(out);
  }
  writeFileSync(stampFile, `${stamp}\n`);
  log(`debezium: jars resolved in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Starts Connect with the connector positioned at range.start and times it until its output topic holds
 * range.changes records (one per insert, update and delete: tombstones are off).
 */
export async function debeziumCatchUp(range: BinlogRange, opts: { tuned?: boolean; log?: (line: string) => void; tables?: string[] } = {}): Promise<PeerCatchUp> {
  const log = opts.log ?? stderrLog;
  const config = loadConfig();
  const { mysql } = config;
  const stamp = `${Date.now()}-${randomInt(1e6)}`;
  const runDir = join(DIR, `run-${stamp}`);
  const connectLog = join(runDir, 'connect.log');
  const name = 'bench-debezium';
  const prefix = `bench_dbz_${stamp.replace('-', '_')}`;
  // The tables captured (db.table), each on Debezium's topic <prefix>.<db>.<table>.
  const tables = opts.tables ?? [`${mysql.database}.${mysql.table}`];
  const topics = tables.map((t) => `${prefix}.${t}`);
  const topic = topics.join(', ');
  mkdirSync(runDir, { recursive: true });

  const kafka = await TopicAdmin.open(config.kafka);
  let jvm: ReturnType<typeof spawn> | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let sampler: NodeJS.Timeout | undefined;
  let ok = false;
  const stop = async () => {
    clearInterval(sampler);
    if (jvm && jvm.exitCode === null && jvm.signalCode === null) {
      jvm.kill('SIGTERM');
      const killer = setTimeout(() => jvm!.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
  };
  try {
    // Created here with one partition: the broker does not auto-create topics, and counting needs a fixed layout.
    await kafka.create(topics, 1);
    const count = async () => {
      let sum = 0;
      for (const t of topics) sum += await kafka.records(t);
      return sum;
    };

    writeFileSync(join(runDir, 'worker.properties'), properties({
      'bootstrap.servers': config.kafka.brokers,
      'plugin.discovery': 'service_load',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'offset.storage.file.filename': join(runDir, 'offsets.dat'),
      // Any free port: Connect's REST API is not used, and 8083 may be taken.
      listeners: 'http://127.0.0.1:0',
      ...(opts.tuned ? { 'producer.batch.size': '524288', 'producer.linger.ms': '20' } : {}),
    }));
    writeFileSync(join(runDir, 'connector.properties'), properties({
      name,
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      'tasks.max': '1',
      'database.hostname': mysql.host,
      'database.port': String(mysql.port),
      'database.user': mysql.user,
      'database.password': mysql.password,
      // Each binlog reader needs its own id; our source uses 5401.
      'database.server.id': String(6500 + randomInt(1000)),
      'topic.prefix': prefix,
      'database.include.list': [...new Set(tables.map((t) => t.slice(0, t.indexOf('.'))))].join(','),
      'table.include.list': tables.map((t) => t.replace(/\./g, '\\.')).join(','),
      'include.schema.changes': 'false',
      'tombstones.on.delete': 'false',
      // recovery: rebuild the (fresh, empty) schema history from the tables as they are now, then stream from the
      // stored offset. The pipeline account may not lock tables, and nothing alters them during a run.
      'snapshot.mode': 'recovery',
      'snapshot.locking.mode': 'none',
      'schema.history.internal': 'io.debezium.storage.file.history.FileSchemaHistory',
      'schema.history.internal.file.filename': join(runDir, 'schema-history.dat'),
      'schema.history.internal.store.only.captured.tables.ddl': 'true',
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '1',
    }));
    // The offset Connect would have stored for this connector after committing range.start. MariaDB is positioned
    // by GTID (with file/pos alone Debezium reads from the binlog's start); file/pos are still required.
    const offset = { file: range.start.file, pos: range.start.pos, ...(range.start.gtid ? { gtids: range.start.gtid } : {}) };
    writeFileSync(join(runDir, 'offsets.dat'), javaSerializedMap([[JSON.stringify([name, { server: prefix }]), JSON.stringify(offset)]]));
    writeFileSync(join(runDir, 'log4j2.properties'), LOG4J2);

    log(`debezium: draining ${range.changes} changes from ${range.start.file}:${range.start.pos} (gtid ${range.start.gtid ?? 'none'})` +
      `${opts.tuned ? ' with tuned producer' : ''} into ${topic}`);
    const out = openSync(connectLog, 'w');
    const t0 = performance.now();
    jvm = spawn('java', ['-Xmx512m', '-cp', `${LIBS}/*`, `-Dlog4j2.configurationFile=${join(runDir, 'log4j2.properties')}`,
      'org.apache.kafka.connect.cli.ConnectStandalone', 'worker.properties', 'connector.properties'],
    { cwd: runDir, stdio: ['ignore', out, out] });
    closeSync(out);
    const pid = jvm.pid!;
    let exitCode: number | string | null | undefined;
    exited = new Promise((resolve) => {
      jvm!.on('exit', (code, signal) => resolve((exitCode = code ?? signal)));
      jvm!.on('error', (err) => resolve((exitCode = err.message)));
    });
    let peak = 0;
    sampler = setInterval(() => { peak = Math.max(peak, rssMiB(pid)); }, 200);

    let first: { t: number; n: number } | undefined;
    let last = { t: t0, n: 0 };
    let nextLogCheck = t0;
    let timing: Omit<PeerCatchUp, 'changes'> | undefined;
    while (!timing) {
      if (exitCode !== undefined) throw new Error(`Connect exited (${exitCode}) before the topic held ${range.changes} records`);
      const n = await count();
      const t = performance.now();
      if (n > 0 && !first) first = { t, n };
      if (n >= range.changes) {
        // Records past range.end (other writers) may have come in the same poll: rates are for the range only.
        const seconds = (t - t0) / 1000;
        // NaN (null in JSON) when every record arrived between two samples.
        const afterFirst = first && t > first.t ? (range.changes - first.n) / ((t - first.t) / 1000) : NaN;
        timing = { seconds, changesPerSecond: range.changes / seconds, afterFirstEventPerSecond: afterFirst, peakRssMiB: Math.max(peak, rssMiB(pid)), cpuSeconds: cpuSeconds(pid) };
      } else {
        if (t >= nextLogCheck) {
          // Standalone Connect keeps running after its task dies: fail now rather than after STALL_MS.
          const text = readFileSync(connectLog, 'utf8');
          if (/unrecoverable exception|Failed to start connector|Stopping due to error/.test(text)) throw new Error('the Connect task failed');
          if (n === 0 && /No previous offsets? found/i.test(text)) throw new Error('Debezium found no stored offset (the offsets file was not understood)');
          nextLogCheck = t + 1000;
        }
        if (n !== last.n) last = { t, n };
        else if (t - last.t > STALL_MS) throw new Error(`no new record for ${STALL_MS / 1000} s at ${n} of ${range.changes}`);
        await sleep(100);
      }
    }
    await stop();
    // The count above is only a clock; what Debezium wrote for the range is told by each record's binlog position.
    const tally = { before: 0, inRange: 0, after: 0 };
    for (const t of topics) {
      const one = await tallyByPosition(config, t, range);
      tally.before += one.before;
      tally.inRange += one.inRange;
      tally.after += one.after;
    }
    if (tally.before > 0) throw new Error(`${tally.before} records come from before range.start: Debezium did not start where it was told`);
    log(`debezium: ${tally.inRange} records for the range (${tally.after} after it) in ${timing.seconds.toFixed(1)} s, ` +
      `${Math.round(timing.afterFirstEventPerSecond)}/s after the first, peak RSS ${timing.peakRssMiB.toFixed(0)} MiB`);
    ok = true;
    return { changes: tally.inRange, ...timing };
  } catch (err) {
    throw new Error(`debezium peer failed: ${(err as Error).message}\n--- last 40 lines of ${connectLog} (run dir kept) ---\n${tail(connectLog, 40)}`);
  } finally {
    await stop();
    try {
      const mine = (await kafka.list()).filter((t) => t === prefix || t.startsWith(`${prefix}.`));
      if (mine.length > 0) await kafka.delete(mine);
    } catch (err) {
      log(`debezium: could not delete the topics of ${prefix}: ${(err as Error).message}`);
    }
    await kafka.close();
    if (ok) rmSync(runDir, { recursive: true, force: true });
  }
}

/** The topic's records by the binlog position of their change: before range.start, within the range, after range.end. */
async function tallyByPosition(config: Config, topic: string, range: BinlogRange): Promise<{ before: number; inRange: number; after: number }> {
  const consumer = new Kafka.KafkaConsumer({
    ...rdkafkaOptions(config.kafka), 'group.id': `bench-debezium-tally-${process.pid}`, 'enable.auto.commit': false, 'enable.partition.eof': true,
  } as Kafka.ConsumerGlobalConfig, {});
  const call = <T>(fn: (cb: (err: Kafka.LibrdKafkaError | null | undefined, value: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(new Error(`reading ${topic}: ${err.message}`)) : resolve(value))));
  await call<Kafka.Metadata>((cb) => consumer.connect({ timeout: 30_000 }, cb));
  const at = (file: string, pos: number) => `${file}\0${String(pos).padStart(20, '0')}`; // sortable (file, pos)
  const start = at(range.start.file, range.start.pos);
  const end = at(range.end.file, range.end.pos);
  const tally = { before: 0, inRange: 0, after: 0 };
  try {
    const { highOffset } = await call<Kafka.WatermarkOffsets>((cb) => consumer.queryWatermarkOffsets(topic, 0, 30_000, cb));
    consumer.assign([{ topic, partition: 0, offset: 0 }]);
    consumer.setDefaultConsumeTimeout(1000);
    for (let next = 0, idle = 0; next < highOffset;) {
      const messages = await call<Kafka.Message[]>((cb) => consumer.consume(5000, cb));
      if (messages.length === 0 && ++idle > 30) throw new Error(`stuck at offset ${next} of ${highOffset}`);
      for (const m of messages) {
        const { source } = JSON.parse(m.value!.toString()) as { source: { file: string; pos: number } };
        const p = at(source.file, source.pos);
        tally[p < start ? 'before' : p >= end ? 'after' : 'inRange']++;
        next = m.offset + 1;
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return tally;
}

/**
 * Connect's FileOffsetBackingStore file: a Java-serialized HashMap<byte[], byte[]> from the JSON of
 * [connector name, source partition] to the JSON of the source offset. Written byte by byte as
 * ObjectOutputStream does (same bytes as Java 17's for one entry); keys must match Connect's JSON exactly.
 */
export function javaSerializedMap(entries: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  const hex = (h: string) => parts.push(Buffer.from(h, 'hex'));
  const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); parts.push(b); };
  const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); parts.push(b); };
  const utf = (s: string) => { u16(Buffer.byteLength(s)); parts.push(Buffer.from(s)); };
  hex('aced0005'); // magic, version
  hex('7372'); utf('java.util.HashMap'); hex('0507dac1c31660d1'); // object, new class descriptor, serialVersionUID
  hex('03'); u16(2); hex('46'); utf('loadFactor'); hex('49'); utf('threshold'); hex('7870'); // fields; no superclass
  hex('3f400000'); i32(12); // loadFactor 0.75f, threshold (ignored on read)
  hex('7708'); i32(16); i32(entries.length); // block data: bucket count, size
  let handle: number | undefined;
  const bytes = (s: string) => {
    hex('75'); // array
    if (handle === undefined) {
      hex('72'); utf('[B'); hex('acf317f8060854e0'); hex('02'); u16(0); hex('7870');
      handle = 0x7e0002; // after the HashMap's class descriptor (0x7e0000) and the HashMap itself (0x7e0001)
    } else {
      hex('71'); i32(handle);
    }
    const b = Buffer.from(s);
    i32(b.length);
    parts.push(b);
  };
  for (const [key, value] of entries) {
    bytes(key);
    bytes(value);
  }
  hex('78'); // end of block data
  return Buffer.concat(parts);
}

function properties(values: Record<string, string>): string {
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/^\s/, (c) => `\\${c}`);
  return Object.entries(values).map(([k, v]) => `${k}=${escape(v)}\n`).join('');
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// WARN for Connect and the clients; INFO for Debezium, whose start-up lines say where it positioned itself.
const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
logger.debezium.name = io.debezium
logger.debezium.level = INFO
`;
