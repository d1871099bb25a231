import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';
import { DEFAULTS, isSecretSetting, parseSettings, SETTING_NAMES } from '../../src/config.js';
import { parseConfigText } from '../../src/config/file.js';
import { runFlags } from '../../bench/lib/procs.js';
import { registerBuildInfo } from '../../src/ops/build-info.js';
import { createPoolMetrics } from '../../src/pool/metrics.js';
import { createSourceMetrics } from '../../src/source/metrics.js';

/**
 * The files under deploy/ name things the code defines: metric names, settings, entry points, exit codes.
 * These checks make a rename in src/ fail here instead of in a silent dashboard or an alert that never fires.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFile(`${root}${path}`, 'utf8');

// ---- metric names -------------------------------------------------------------------------------------------

/** What a registry exports: each metric's name, and a histogram's series with their suffixes. */
async function exported(registry: Registry): Promise<{ base: string[]; series: Set<string> }> {
  const base: string[] = [];
  const series = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    base.push(metric.name);
    series.add(metric.name);
    if (String(metric.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) series.add(metric.name + s);
  }
  return { base, series };
}

/** The metrics each daemon's entry point registers: its stage's own and the build info. */
const daemonRegistry = (registry: Registry) => {
  registerBuildInfo(registry);
  return registry;
};
const ours = [await exported(daemonRegistry(createSourceMetrics().registry)), await exported(daemonRegistry(createPoolMetrics().registry))];
const sourceMetrics = ours[0]!.base.filter((name) => name.startsWith('cdc_source_'));
const poolMetrics = ours[1]!.base.filter((name) => name.startsWith('cdc_pool_'));
const cdcMetrics = [...new Set(ours.flatMap((o) => o.base.filter((name) => name.startsWith('cdc_'))))];

/** prom-client's default process_* and nodejs_* series (histograms with their suffixes), as /metrics has them. */
async function defaultMetrics(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { series } = await exported(registry);
  registry.clear();
  return series;
}

/** Series every Prometheus has for each target. */
const PROMETHEUS_BUILTINS = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'];
const known = new Set([...ours.flatMap((o) => [...o.series]), ...(await defaultMetrics()), ...PROMETHEUS_BUILTINS]);

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'bool', 'offset', 'atan2', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions, aggregations, keywords,
 * label names (in `{…}`, `by (…)`, `on (…)`…), durations or Grafana variables.
 */
function metricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const before = text[m.index - 1] ?? ' ';
    if (/[0-9.$]/.test(before)) continue; // 1e3, 5m, $variable
    if (/^\s*\(/.test(text.slice(m.index + word.length))) continue; // rate(, sum(, time(
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

function unknownMetrics(exprs: string[]): string[] {
  return [...new Set(exprs.flatMap(metricNames))].filter((name) => !known.has(name)).sort();
}

test('the metric modules define the metrics the deploy files are checked against', () => {
  assert.ok(sourceMetrics.length >= 10, `only ${sourceMetrics.length} metrics found in src/source/metrics.ts`);
  assert.ok(poolMetrics.length >= 10, `only ${poolMetrics.length} metrics found in src/pool/metrics.ts`);
  for (const name of sourceMetrics) assert.match(name, /^cdc_source_/);
  for (const name of poolMetrics) assert.match(name, /^cdc_pool_/);
  for (const name of ['process_resident_memory_bytes', 'process_start_time_seconds', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']) {
    assert.ok(known.has(name), `${name} is not among prom-client's default metrics`);
  }
});

test('metricNames finds selected metrics and nothing else', () => {
  assert.deepEqual(metricNames('cdc_source_ready'), ['cdc_source_ready']);
  assert.deepEqual(metricNames('sum by (partition) (rate(cdc_pool_lines_written_total{consumer="1", kind=~"a|b"}[$__rate_interval]))'),
    ['cdc_pool_lines_written_total']);
  assert.deepEqual(metricNames('time() - cdc_source_last_commit_timestamp_seconds > 300'), ['cdc_source_last_commit_timestamp_seconds']);
  assert.deepEqual(metricNames('process_resident_memory_bytes and on (instance, job) (cdc_source_ready or cdc_pool_ready)'),
    ['process_resident_memory_bytes', 'cdc_source_ready', 'cdc_pool_ready']);
  assert.deepEqual(metricNames('deriv(sum(max by (partition) (cdc_pool_consumer_lag))[15m:1m]) > 1e3 offset 5m'), ['cdc_pool_consumer_lag']);
  assert.deepEqual(metricNames('sum(x_total) without (consumer) / ignoring (kind) group_left (job) y'), ['x_total', 'y']);
  assert.deepEqual(unknownMetrics(['rate(cdc_source_changes_renamed_total[5m])']), ['cdc_source_changes_renamed_total']);
  assert.deepEqual(unknownMetrics(['rate(cdc_source_changes_read_total[5m])']), []);
});

// ---- Grafana ------------------------------------------------------------------------------------------------

interface Target { expr?: string; refId?: string; datasource?: { type?: string; uid?: string } }
interface Panel { id: number; type: string; title: string; datasource?: { type?: string; uid?: string }; targets?: Target[]; panels?: Panel[] }
const dashboard = JSON.parse(await read('deploy/grafana/cdc-pipeline.json')) as {
  uid: string; title: string; schemaVersion: number; panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
};
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panels = allPanels(dashboard.panels);
const graphPanels = panels.filter((p) => p.type !== 'row');
const dashboardExprs = graphPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));

test('the dashboard is a Grafana dashboard with a Prometheus data source variable', () => {
  assert.equal(typeof dashboard.uid, 'string');
  assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion < 100, `schemaVersion ${dashboard.schemaVersion}`);
  const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
  assert.ok(ds, 'no datasource template variable');
  assert.equal(ds.query, 'prometheus');
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids repeat');
  assert.ok(graphPanels.length >= 12, `${graphPanels.length} panels`);
  for (const panel of graphPanels) {
    assert.ok(panel.targets && panel.targets.length > 0, `${panel.title}: no queries`);
    for (const target of [panel, ...panel.targets]) {
      assert.equal(target.datasource?.uid, `\${${ds.name}}`, `${panel.title}: data source is not the \${${ds.name}} variable`);
    }
    for (const target of panel.targets) {
      assert.ok(metricNames(target.expr ?? '').length > 0, `${panel.title} ${target.refId}: no metric in ${JSON.stringify(target.expr)}`);
    }
  }
});

test('every metric the dashboard queries is one the processes export', () => {
  assert.deepEqual(unknownMetrics(dashboardExprs), [], 'renamed or misspelt metrics in deploy/grafana/cdc-pipeline.json');
});

test('every metric the processes export has a dashboard panel', () => {
  const used = new Set(dashboardExprs.flatMap(metricNames));
  const shown = (name: string) => ['', '_bucket', '_sum', '_count'].some((suffix) => used.has(name + suffix));
  assert.deepEqual(cdcMetrics.filter((name) => !shown(name)), [], 'metrics missing from deploy/grafana/cdc-pipeline.json');
  assert.ok(used.has('process_resident_memory_bytes'), 'no RSS panel');
});

test('the Grafana provisioning files point at the dashboard and a Prometheus data source', async () => {
  const dashboards = parse(await read('deploy/grafana/provisioning/dashboards.yml')) as { providers: Array<{ type: string; options: { path: string } }> };
  const datasources = parse(await read('deploy/grafana/provisioning/datasources.yml')) as { datasources: Array<{ type: string; url: string }> };
  assert.equal(dashboards.providers[0]?.type, 'file');
  assert.match(dashboards.providers[0]!.options.path, /^\//);
  assert.equal(datasources.datasources[0]?.type, 'prometheus');
});

// ---- Prometheus ---------------------------------------------------------------------------------------------

interface Rule { alert?: string; expr?: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const alerts = parse(await read('deploy/prometheus/alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> };
const rules = alerts.groups.flatMap((g) => g.rules);
const prometheus = parse(await read('deploy/prometheus/prometheus.yml')) as {
  rule_files: string[]; scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
};

test('every alert has a name, an expression on exported metrics, a severity and a summary', () => {
  assert.ok(rules.length >= 5, `${rules.length} alerts`);
  const names = rules.map((r) => r.alert);
  assert.equal(new Set(names).size, names.length, 'alert names repeat');
  for (const rule of rules) {
    assert.match(rule.alert ?? '', /^[A-Z][A-Za-z0-9]+$/);
    assert.ok(rule.expr && metricNames(rule.expr).length > 0, `${rule.alert}: no metric in its expression`);
    assert.match(rule.labels?.severity ?? '', /^(critical|warning|info)$/, `${rule.alert}: severity`);
    assert.ok(rule.annotations?.summary, `${rule.alert}: no summary`);
    if (rule.for !== undefined) assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`);
  }
  assert.deepEqual(unknownMetrics(rules.map((r) => r.expr ?? '')), [], 'renamed or misspelt metrics in deploy/prometheus/alerts.yml');
});

test('the alerts cover readiness, delay, lag, dead letters and restarts', () => {
  const used = new Set(rules.flatMap((r) => metricNames(r.expr ?? '')));
  for (const name of ['cdc_source_ready', 'cdc_pool_ready', 'cdc_source_milliseconds_behind_source', 'cdc_pool_consumer_lag',
    'cdc_pool_dead_letters_total', 'cdc_source_session_restarts_total', 'cdc_pool_consumer_restarts_total']) {
    assert.ok(used.has(name), `no alert on ${name}`);
  }
  const ready = rules.find((r) => r.expr?.trim() === 'cdc_source_ready == 0');
  assert.equal(ready?.for, '2m');
});

test('Prometheus scrapes both processes on their default ports and loads the alerts', () => {
  const jobs = new Map(prometheus.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]));
  const ports = [...jobs.values()].flat().map((t) => t.split(':').pop());
  assert.ok(ports.includes(DEFAULTS.SOURCE_METRICS_PORT), 'no target on SOURCE_METRICS_PORT');
  assert.ok(ports.includes(DEFAULTS.POOL_METRICS_PORT), 'no target on POOL_METRICS_PORT');
  assert.ok(prometheus.rule_files.some((f) => f.endsWith('/alerts.yml')));
  // Alerts that filter on a job name must name a scrape job that exists.
  for (const rule of rules) {
    for (const m of (rule.expr ?? '').matchAll(/job=~?"([^"]+)"/g)) {
      for (const job of m[1]!.split('|')) assert.ok(jobs.has(job), `${rule.alert}: job ${job} is not scraped by prometheus.yml`);
    }
  }
});

// ---- systemd ------------------------------------------------------------------------------------------------

/** A unit file as section → key → values (a key may repeat, e.g. Environment=). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv && current, `not a unit file line: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

const pkg = JSON.parse(await read('package.json')) as { scripts: Record<string, string> };
const units = {
  'cdc-pipeline.service': { script: 'start', output: true },
  'cdc-source.service': { script: 'source', output: false },
  'cdc-consumers.service': { script: 'consumers', output: true },
} as const;

for (const [file, expected] of Object.entries(units)) {
  test(`systemd ${file} runs what npm run ${expected.script} runs and is not restarted on exit codes 2, 3, 4`, async () => {
    const text = await read(`deploy/systemd/${file}`);
    {
      const unit = parseUnit(text);
      const service = unit.get('Service');
      assert.ok(service, 'no [Service] section');
      assert.ok(unit.get('Install')?.get('WantedBy'), 'no WantedBy=');
      const one = (key: string) => {
        const values = service.get(key);
        assert.ok(values && values.length === 1, `${file}: expected one ${key}=, found ${values?.length ?? 0}`);
        return values[0]!;
      };

      const exec = one('ExecStart');
      assert.match(exec, /^\//, 'ExecStart needs an absolute path');
      // The compiled CLI with the same command npm run runs (scripts/run.sh execs `dist/cli/cdc.js <command>`).
      const command = /^\/usr\/bin\/node (?:--[\w-]+=\S+ )*dist\/cli\/cdc\.js (\w+)$/.exec(exec)?.[1];
      assert.equal(command, expected.script, `${file}: ExecStart runs ${exec}, not dist/cli/cdc.js ${expected.script}`);
      assert.equal(pkg.scripts[expected.script], `exec bash scripts/run.sh ${expected.script}`);
      assert.ok(existsSync(`${root}src/cli/${command}.ts`), `no src/cli/${command}.ts to compile`);
      assert.doesNotMatch(exec, /tsx/, 'production runs compiled code');

      assert.equal(one('Restart'), 'on-failure');
      const prevent = one('RestartPreventExitStatus').split(/\s+/);
      for (const code of ['2', '3', '4']) assert.ok(prevent.includes(code), `${file}: exit code ${code} is restarted`);
      assert.equal(one('KillSignal'), 'SIGTERM');
      assert.equal(one('TimeoutStopSec'), '60');
      assert.equal(one('User'), 'cdc');
      assert.equal(one('WorkingDirectory'), '/opt/cdc-pipeline');
      assert.equal(one('EnvironmentFile'), '/etc/cdc-pipeline/cdc.env');
      assert.equal(one('NoNewPrivileges'), 'yes');
      assert.equal(one('ProtectSystem'), 'strict');
      assert.equal(one('PrivateTmp'), 'yes');
      assert.equal(service.get('MemoryDenyWriteExecute'), undefined, 'V8 needs writable executable memory');

      // Environment= names must be settings (or the runtime's: Node's thread pool size, glibc's arenas, as run.sh sets).
      const env = new Map((service.get('Environment') ?? []).map((e) => e.split('=', 2) as [string, string]));
      for (const key of env.keys()) assert.ok(key in DEFAULTS || key === 'UV_THREADPOOL_SIZE' || key === 'MALLOC_ARENA_MAX', `${file}: ${key} is not a setting`);
      assert.equal(env.get('MALLOC_ARENA_MAX'), '2', `${file}: two malloc arenas, as scripts/run.sh`);
      if (expected.output) {
        const output = env.get('OUTPUT_DIR');
        assert.ok(output, `${file}: no OUTPUT_DIR default`);
        const writable = (service.get('ReadWritePaths') ?? []).flatMap((v) => v.split(/\s+/)).map((p) => p.replace(/^-/, ''));
        assert.ok(writable.some((p) => output === p || output.startsWith(`${p}/`)), `${file}: OUTPUT_DIR ${output} is not in ReadWritePaths=`);
      } else {
        assert.equal(service.get('ReadWritePaths'), undefined, `${file}: the source writes nothing locally`);
      }
      if (expected.script === 'start') assert.equal(one('KillMode'), 'mixed', 'SIGTERM must reach npm start, which stops its children in order');
      if (expected.script === 'consumers') assert.ok(Number(env.get('UV_THREADPOOL_SIZE')) >= 16, 'consumers need UV_THREADPOOL_SIZE');
    }
  });
}

// ---- cdc.env.example ----------------------------------------------------------------------------------------

test('cdc.env.example lists every setting once, with its default, secrets blank', async () => {
  const text = await read('deploy/cdc.env.example');
  const lines = text.split('\n');
  const settings = lines.map((l) => /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(l)).filter((m) => m !== null);
  const names = settings.map((m) => m[1]!);
  assert.equal(new Set(names).size, names.length, `listed twice: ${names.filter((n, i) => names.indexOf(n) !== i).join(', ')}`);
  assert.deepEqual([...names].sort(), [...Object.keys(DEFAULTS)].sort(), 'deploy/cdc.env.example and DEFAULTS in src/config.ts differ');
  for (const m of settings) {
    const [, name, value] = m as unknown as [string, keyof typeof DEFAULTS, string];
    if (isSecretSetting(name)) assert.equal(value, '', `${name} is a secret: leave it blank in the example`);
    else assert.equal(value, DEFAULTS[name], `${name}: the example says ${JSON.stringify(value)}, the default is ${JSON.stringify(DEFAULTS[name])}`);
  }
  for (const line of lines) {
    // A setting written as "# KEY=value" would be prose to this test but a setting to a reader.
    assert.doesNotMatch(line, /^#\s+[A-Z][A-Z0-9_]*=/, `commented setting in the wrong form (use #KEY=value): ${line}`);
    assert.ok(line === '' || line.startsWith('#'), `the example sets something when installed as it is: ${line}`);
  }
  // Uncommented, it is a config file the application accepts, and its values pass the checks.
  const uncommented = settings.map((m) => m[0].replace(/^#/, '')).join('\n');
  const values = parseConfigText(uncommented, 'deploy/cdc.env.example', {
    names: SETTING_NAMES, passThrough: (key) => key.startsWith('RDKAFKA_'),
  });
  assert.equal(Object.keys(values).length, names.length);
  assert.doesNotThrow(() => parseSettings(values));
});

// ---- node flags -----------------------------------------------------------------------------------------------

test('run.sh, the cdc bin, the systemd units and the image start Node with the same V8 flags, and Node accepts them and src/heap.ts\'s', async () => {
  const flagsOf = (text: string, pattern: RegExp, where: string): string => {
    const m = pattern.exec(text);
    assert.ok(m, `${where}: no node command line found`);
    return m[1]!.trim();
  };
  // Read as the bench reads it, so a change to run.sh's exec line that the bench would miss fails here.
  const run = runFlags(root).join(' ');
  assert.match(run, /--max-semi-space-size=\d+/, 'scripts/run.sh: no node command line with flags found');
  const others: Array<[string, string]> = [
    ['src/cli/cdc.ts', flagsOf(await read('src/cli/cdc.ts'), /^#!\/usr\/bin\/env -S node (.*)$/m, 'src/cli/cdc.ts')],
    ['Dockerfile', JSON.parse(flagsOf(await read('Dockerfile'), /^ENTRYPOINT (\[.*\])$/m, 'Dockerfile')).slice(1, -1).join(' ')],
  ];
  for (const unit of ['cdc-pipeline', 'cdc-source', 'cdc-consumers']) {
    others.push([unit, flagsOf(await read(`deploy/systemd/${unit}.service`), /^ExecStart=\/usr\/bin\/node (.*?) dist\/cli\/cdc\.js/m, unit)]);
  }
  for (const [where, flags] of others) assert.equal(flags, run, `${where} starts Node with other flags than scripts/run.sh`);
  const check = spawnSync(process.execPath, [...run.split(' '), '-e', '0'], { encoding: 'utf8' });
  assert.equal(check.status, 0, `node refuses ${run}: ${check.stderr}`);
  // src/heap.ts sets this one at run time, where V8 ignores a flag it does not know: make sure this V8 knows it.
  const growing = spawnSync(process.execPath, ['--heap-growing-percent=25', '-e', '0'], { encoding: 'utf8' });
  assert.equal(growing.status, 0, `node refuses --heap-growing-percent: ${growing.stderr}`);
});
