/**
 * Every command of the `cdc` CLI with its options, their defaults and one line each: what `--help` prints and
 * what an unknown option's error repeats. One place, so help, README and behaviour are checked against one list.
 */
export interface OptionSpec {
  /** The flag without dashes. */
  name: string;
  short?: string;
  /** The value's placeholder; absent for a switch. */
  value?: string;
  help: string;
  default?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** The arguments after the command name, as a synopsis. */
  synopsis: string;
  options: OptionSpec[];
  /** Whether --config / --print-config apply (every command that reads the settings). */
  settings: boolean;
}

export const COMMANDS: CommandSpec[] = [
  {
    name: 'source', summary: 'the binlog source daemon: MySQL/MariaDB row changes to Avro on Kafka, exactly once', synopsis: '[options]',
    options: [], settings: true,
  },
  {
    name: 'consumers', summary: 'the consumer supervisor: POOL_SIZE consumers writing transformed JSON lines, exactly once',
    synopsis: '[options]', options: [], settings: true,
  },
  {
    name: 'start', summary: 'source and supervisor together, as two child processes (one machine)', synopsis: '[options]',
    options: [], settings: true,
  },
  {
    name: 'status', summary: 'where the source and the group stand, what the output holds, the pool\'s latency', synopsis: '[options]',
    options: [
      { name: 'json', help: 'one JSON document instead of the table' },
      { name: 'count', help: 'also read and count the records the group has still to read' },
    ],
    settings: true,
  },
  {
    name: 'check', summary: 'the settings, the database, Kafka, the registry and the output directory, each with a verdict',
    synopsis: '[options]', options: [{ name: 'json', help: 'the verdicts as one JSON document' }], settings: true,
  },
  {
    name: 'backfill', summary: 'load existing rows of the captured tables onto their topics as r events, resumable',
    synopsis: '[--since <ISO time> | --full] [--table <db.table>] [options]',
    options: [
      { name: 'since', value: '<ISO time>', help: 'only rows whose watermark column (last_updated for the seed\'s table, WATERMARK_COLUMNS for others) is at or after this time; tables without one are read whole' },
      { name: 'full', help: 'every row', default: 'when --since is not given' },
      { name: 'table', value: '<db.table>', help: 'only this captured table', default: 'every captured table' },
      { name: 'chunk', value: '<N>', help: 'rows per Kafka transaction (1 to 1000000)', default: '5000' },
    ],
    settings: true,
  },
  {
    name: 'replay', summary: 're-run the pool\'s write path over a range of a table\'s topic (or all), into a fresh directory',
    synopsis: '--from earliest|<ISO time>|<partition>:<offset>[,…] [options]',
    options: [
      { name: 'from', value: '<where>', help: 'earliest, an ISO time, or partition:offset pairs such as 3:1200,7:0 (required)' },
      { name: 'to', value: '<ISO time>', help: 'stop at this time', default: 'the ends when the command starts' },
      { name: 'table', value: '<db.table>|all', help: 'which table\'s topic; all: the seed\'s and every one under TOPIC_PREFIX', default: 'the seed\'s table (MYSQL_DATABASE.MYSQL_TABLE)' },
      { name: 'output', value: '<dir>', help: 'where the lines go', default: 'OUTPUT_DIR/replay-<time>' },
      { name: 'group', value: '<id>', help: 'consumer group (rerun with the same one to resume)', default: 'replay-<time>' },
      { name: 'dry-run', help: 'print each partition\'s range and write nothing' },
      { name: 'reset-live', help: 'move the live group\'s offsets to --from instead (refused while the pool runs)' },
    ],
    settings: true,
  },
  {
    name: 'verify', summary: 'compare MySQL, at one consistent snapshot, with the state the output files rebuild (latest line per key)',
    synopsis: '[--table <db.table>] [--repair] [options]',
    options: [
      { name: 'table', value: '<db.table>', help: 'only this captured table', default: 'every captured table' },
      { name: 'repair', help: 'write the missing and differing rows again as r events (through the source\'s transactional path)' },
      { name: 'wait', value: '<seconds>', help: 'how long to wait for the files to be complete up to the snapshot (the completeness mark)', default: '300' },
      { name: 'chunk', value: '<N>', help: 'rows read from MySQL per query', default: '10000' },
      { name: 'json', help: 'the report as one JSON document' },
    ],
    settings: true,
  },
  {
    name: 'move-source', summary: 'move the source\'s position on purpose (head, a binlog position, a fresh snapshot), daemon stopped',
    synopsis: '--to head|<file>:<pos>|gtid:<d-s-n>|snapshot|watermark:<ISO time> [options]',
    options: [
      { name: 'to', value: '<where>', help: 'head, <binlog file>:<position>, gtid:<d-s-n> (MariaDB: just after that transaction), snapshot (all rows again) or watermark:<ISO time> (rows changed since) (required)' },
      { name: 'dry-run', help: 'show the position now and where it would move, and write nothing' },
      { name: 'force', help: 'move even while a binlog reader of the pipeline\'s account is connected (the daemon is fenced, exits 3)' },
    ],
    settings: true,
  },
  {
    name: 'generate', summary: 'write realistic catalogue changes through the database (the shop\'s admin account)',
    synopsis: '--rows <N> [options]',
    options: [
      { name: 'rows', value: '<N>', help: 'new products to insert' },
      { name: 'updates', value: '<N>', help: 'edits of existing products (mostly prices)', default: '0' },
      { name: 'deletes', value: '<N>', help: 'products to delete', default: '0' },
      { name: 'rate', value: '<R>', help: 'changes per second (more than 0)', default: 'as fast as possible' },
      { name: 'tx-size', value: '<N>', help: 'changes per transaction', default: '100' },
      { name: 'seed', value: '<N>', help: 'random seed: the same seed repeats the same workload', default: 'the clock' },
    ],
    settings: true,
  },
  {
    name: 'stack', summary: 'the local stack (MariaDB, Kafka, registry on 127.0.0.1): up, down, status, env, sql',
    synopsis: 'up|down|status|env|sql [service …] [--purge]', options: [], settings: false,
  },
];

export function commandSpec(name: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) throw new Error(`no command ${name}`);
  return spec;
}

const COMMON: OptionSpec[] = [
  { name: 'config', value: '<file>', help: 'KEY=VALUE settings file (the environment still wins)', default: '$CDC_CONFIG' },
  { name: 'print-config', help: 'print every setting, where it came from, secrets as ***, and exit' },
];
const ALWAYS: OptionSpec[] = [
  { name: 'help', short: 'h', help: 'this help, and exit' },
  { name: 'version', help: 'the version, and exit' },
];

export function allOptions(spec: CommandSpec): OptionSpec[] {
  return [...spec.options, ...(spec.settings ? COMMON : []), ...ALWAYS];
}

export function usageLine(spec: CommandSpec): string {
  return `cdc ${spec.name} ${spec.synopsis} (or npm run ${spec.name} -- …)`;
}

/** What `cdc <command> --help` prints. */
export function formatHelp(spec: CommandSpec): string {
  const rows = allOptions(spec).map((o) => [`${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`, o]);
  const width = Math.max(...rows.map(([flag]) => (flag as string).length));
  const lines = rows.map(([flag, o]) => {
    const opt = o as OptionSpec;
    return `  ${(flag as string).padEnd(width)}  ${opt.help}${opt.default ? ` (default: ${opt.default})` : ''}`;
  });
  return `cdc ${spec.name}: ${spec.summary}\n\nUsage: ${usageLine(spec)}\n\nOptions:\n${lines.join('\n')}\n` +
    (spec.settings ? '\nEvery setting (KAFKA_BROKERS, MYSQL_HOST, …) comes from the environment or --config; see --print-config.\n' : '');
}

/** What `cdc --help` prints. */
export function formatOverview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return 'cdc: exactly-once change data capture, MySQL/MariaDB binlog → Avro on Kafka → JSON lines\n\n' +
    'Usage: cdc <command> [options]    (cdc <command> --help for its options)\n\nCommands:\n' +
    `${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}\n\n` +
    'Options:\n  -h, --help     this overview\n      --version  the version\n';
}
