/**
 * npm run replay -- --from earliest | --from <ISO time> | --from <partition>:<offset>[,…] [--to <ISO time>]
 *                   [--table <db.table>|all] [--output <dir>] [--group <id>] [--dry-run] [--reset-live]
 * Reprocesses a range of a table's topic (the seed's by default, or every table's) into a fresh directory with its own group; the live files and group are not
 * touched. --reset-live instead moves the live group's offsets (only when it has no members) and archives the
 * live files, so the pool reprocesses the range on its next start.
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { kafkajsOptions } from '../config/kafka.js';
import { PipelineError, UsageError } from '../errors.js';
import { flushLogger } from '../log.js';
import { planRanges, runReplay, type PartitionRange } from '../pool/replay.js';
import { isPoolOutput } from '../pool/segment-name.js';
import { topicOf } from '../source/capture/tables.js';
import { connectClient, disconnectWithin, endReader } from '../kafka/client.js';
import { isoTime, parseCommandLine } from './args.js';
import { parseFrom } from './replay-args.js';
import { commandSpec, usageLine } from './commands.js';
import { createProgress } from './progress.js';
import { runCommand } from './run.js';
import { CONFIG_OPTIONS, configure } from './setup.js';

const SPEC = commandSpec('replay');

/** The live group still has consumers: moving its offsets would seek under a running pool. Exit code 3. */
export class GroupActiveError extends PipelineError {
  override get exitCode(): number {
    return 3;
  }
}

function table(ranges: PartitionRange[], extra?: (r: PartitionRange) => string): string {
  const many = new Set(ranges.map((r) => r.topic)).size > 1;
  const rows = ranges.map((r) => `${many ? `  ${r.topic}\n` : ''}  ${String(r.partition).padStart(9)}  ${String(r.start).padStart(10)}  ${String(r.end).padStart(10)}  ${String(r.end - r.start).padStart(10)}${extra ? `  ${extra(r)}` : ''}${r.note ? `  (${r.note})` : ''}`);
  const total = ranges.reduce((n, r) => n + r.end - r.start, 0);
  return ['  partition       start         end    offsets', ...rows, `  ${'total'.padStart(9)}  ${''.padStart(10)}  ${''.padStart(10)}  ${String(total).padStart(10)}`].join('\n');
}

async function groupMembers(config: Config, group: string): Promise<string[]> {
  const { Kafka: KafkaJs, logLevel } = await import('kafkajs');
  const admin = new KafkaJs({ ...kafkajsOptions(config.kafka), clientId: 'replay', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    return (groups[0]?.members ?? []).map((m) => `${m.clientId} (${m.clientHost.replace(/^\//, '')}, member ${m.memberId})`);
  } finally {
    await admin.disconnect();
  }
}

/** The topics to replay: one table's (the seed's by default), or with `all` the seed's and every table topic under the prefix. */
async function replayTopics(config: Config, consumer: import('node-rdkafka').KafkaConsumer, tableArg: string | undefined): Promise<string[]> {
  if (tableArg === undefined) return [config.kafka.topic];
  if (tableArg !== 'all') {
    const [db, name] = [tableArg.slice(0, tableArg.indexOf('.')), tableArg.slice(tableArg.indexOf('.') + 1)];
    return [topicOf(config.capture, config.kafka.topic, { db, table: name })];
  }
  const meta = await new Promise<import('node-rdkafka').Metadata>((resolve, reject) =>
    consumer.getMetadata({ timeout: 30_000 }, (err, m) => (err ? reject(err) : resolve(m))));
  const prefix = `${config.capture.topicPrefix}.`;
  return [config.kafka.topic, ...meta.topics.map((t) => t.name).filter((n) => n.startsWith(prefix)).sort()];
}

await runCommand('replay', async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    from: { type: 'string' }, to: { type: 'string' }, output: { type: 'string' }, group: { type: 'string' }, table: { type: 'string' },
    'dry-run': { type: 'boolean' }, 'reset-live': { type: 'boolean' }, ...CONFIG_OPTIONS,
  }, SPEC);
  const from = parseFrom(args.from);
  const to = args.to === undefined ? undefined : isoTime('--to', args.to);
  if (args['reset-live'] && !args.group) throw new UsageError('--reset-live needs --group <the live group>');
  if (args['reset-live'] && (args.output || to)) throw new UsageError('--reset-live moves the live group\'s start; --output and --to do not apply');
  if (args.table !== undefined && args.table !== 'all' && !/^[^.\s]+\.[^.\s]+$/.test(args.table)) throw new UsageError(`--table ${args.table}: expected db.table or all`);
  if (args.table === 'all' && from.kind === 'offsets') throw new UsageError('--from partition:offset pairs name one topic\'s partitions: give --table <db.table> with them, not all');
  if (args.table !== undefined && args['reset-live']) throw new UsageError('--reset-live moves the live group on the seed\'s topic only; leave out --table');
  const { config, logger } = configure(args);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const group = args.group ?? `replay-${stamp}`;
  const consumer = await connectClient(endReader(config.kafka, group, { 'client.id': 'replay' }), 'connecting to Kafka', config.kafka);
  try {
    const topics = await replayTopics(config, consumer, args.table);
    const ranges: PartitionRange[] = [];
    for (const t of topics) ranges.push(...await planRanges(consumer, t, from, to));
    if (args['reset-live']) {
      const members = await groupMembers(config, group);
      if (members.length > 0) {
        throw new GroupActiveError(`group ${group} has ${members.length} active members; stop them first: ${members.join('; ')}`);
      }
      process.stdout.write(`${args['dry-run'] ? 'would reset' : 'resetting'} group ${group} on ${config.kafka.topic}:\n${table(ranges)}\n`);
      if (args['dry-run']) return 0;
      consumer.commitSync(ranges.map((r) => ({ topic: config.kafka.topic, partition: r.partition, offset: r.start })));
      // The pool skips offsets its files already hold; move them aside so the range is written again.
      const archive = join(config.pool.outputDir, `archived-${stamp}`);
      const files = (await readdir(config.pool.outputDir).catch(() => [] as string[])).filter(isPoolOutput);
      if (files.length > 0) {
        await mkdir(archive, { recursive: true });
        for (const f of files) await rename(join(config.pool.outputDir, f), join(archive, f));
      }
      process.stdout.write(`done: the pool reprocesses from these offsets when it starts${files.length ? `; ${files.length} live files moved to ${archive}` : ''}\n`);
      return 0;
    }
    const outputDir = args.output ?? join(config.pool.outputDir, `replay-${stamp}`);
    if (args['dry-run']) {
      process.stdout.write(`would replay ${topics.join(', ')} into ${outputDir} (group ${group}):\n${table(ranges)}\n`);
      return 0;
    }
    const total = ranges.reduce((n, r) => n + r.end - r.start, 0);
    const progress = createProgress({ label: 'replay', total, unit: 'messages', log: (line) => logger.info(line, { component: 'replay' }) });
    const summary = await runReplay({
      config, registry: new Registry(config.registry), logger, consumer, ranges, outputDir,
      onProgress: (done) => progress.update(done),
    });
    progress.finish(summary.partitions.reduce((n, p) => n + p.messages, 0));
    const byPartition = new Map(summary.partitions.map((p) => [`${p.topic}:${p.partition}`, p.messages]));
    process.stdout.write(`replayed ${topics.join(', ')} into ${outputDir} (group ${group}):\n` +
      `${table(ranges, (r) => `${byPartition.get(`${r.topic}:${r.partition}`)} read`)}\n` +
      `lines written ${summary.stats.lines}, dead letters ${summary.stats.deadLetters}, tombstones ${summary.stats.tombstones}, ` +
      `already written ${summary.stats.skipped}\n`);
    return 0;
  } finally {
    await disconnectWithin(consumer, 15_000);
    await flushLogger(logger);
  }
});
process.exit(process.exitCode ?? 0);
