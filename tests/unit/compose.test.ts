import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULTS } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const compose = parse(await readFile(`${root}compose.yaml`, 'utf8'), { merge: true }) as {
  services: Record<string, {
    image?: string; build?: string; environment?: Record<string, string>; volumes?: string[]; ports?: string[];
    depends_on?: Record<string, { condition: string }>; profiles?: string[]; restart?: string;
    healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
    stop_grace_period?: string; init?: boolean; command?: string[];
  }>;
  volumes?: Record<string, unknown>;
};

test('docker compose accepts compose.yaml', (t) => {
  const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('`docker compose` is not available on this machine (no compose plugin); structural checks below still run');
    return;
  }
  const res = spawnSync('docker', ['compose', '-f', `${root}compose.yaml`, 'config', '-q'], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
});

test("compose.yaml's MySQL 8.4 service mounts the project binlog settings and init scripts and names the default database", () => {
  const mysql = compose.services.mysql!;
  assert.equal(mysql.image, 'mysql:8.4');
  assert.ok(mysql.volumes?.includes('./mysql-conf/cdc.cnf:/etc/mysql/conf.d/cdc.cnf:ro'));
  assert.ok(mysql.volumes?.includes('./mysql-conf/init:/docker-entrypoint-initdb.d:ro'));
  assert.equal(mysql.environment?.MYSQL_DATABASE, DEFAULTS.MYSQL_DATABASE);
});

test('compose.yaml sets Kafka as a combined KRaft broker and controller with replication factor 1 for its internal topics', () => {
  const env = compose.services.kafka!.environment!;
  assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
  for (const key of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
    'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) {
    assert.equal(String(env[key]), '1', key);
  }
  assert.match(env.KAFKA_ADVERTISED_LISTENERS!, /EXTERNAL:\/\/127\.0\.0\.1:9092/);
});

test('compose.yaml publishes ports on loopback only, including the default MySQL, Kafka and registry ports', () => {
  const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
  for (const port of published) assert.match(port, /^127\.0\.0\.1:/, port);
  assert.ok(published.includes(`127.0.0.1:${DEFAULTS.MYSQL_PORT}:3306`));
  assert.ok(published.includes(`127.0.0.1:${DEFAULTS.KAFKA_BROKERS.split(':')[1]}:9092`));
  assert.ok(published.includes(`127.0.0.1:${new URL(DEFAULTS.SCHEMA_REGISTRY_URL).port}:8080`));
});

test('the pipeline services set only settings the application reads, pointing at the compose services', () => {
  for (const name of ['source', 'consumers']) {
    const service = compose.services[name]!;
    assert.equal(service.build, '.');
    const env = service.environment!;
    for (const key of Object.keys(env)) {
      assert.ok(key in DEFAULTS || key === 'OUTPUT_DIR', `${name}: ${key} is not a setting the application reads`);
    }
    assert.equal(env.MYSQL_HOST, 'mysql');
    assert.equal(env.KAFKA_BROKERS, 'kafka:19092');
    assert.equal(env.SCHEMA_REGISTRY_URL, 'http://schema-registry:8080/apis/ccompat/v7');
    for (const dep of Object.values(service.depends_on ?? {})) assert.equal(dep.condition, 'service_healthy');
  }
});

test("compose.yaml publishes the pipeline services' metrics ports on loopback and healthchecks /healthz with node", () => {
  const ports = { source: DEFAULTS.SOURCE_METRICS_PORT, consumers: DEFAULTS.POOL_METRICS_PORT };
  for (const [name, port] of Object.entries(ports)) {
    const service = compose.services[name]!;
    // Inside the container the loopback default would hide the endpoint from the published port.
    assert.equal(service.environment?.METRICS_HOST, '0.0.0.0', `${name}: METRICS_HOST`);
    assert.ok(service.ports?.includes(`127.0.0.1:${port}:${port}`), `${name}: ${port} not published on 127.0.0.1`);
    const check = service.healthcheck?.test ?? [];
    assert.equal(check[0], 'CMD', `${name}: healthcheck must run without a shell`);
    assert.equal(check[1], 'node', `${name}: the image has node, not curl`);
    assert.ok(check.some((arg) => arg.includes(`http://127.0.0.1:${port}/healthz`)), `${name}: healthcheck does not GET /healthz on ${port}`);
    assert.ok(check.every((arg) => !arg.includes('$')), `${name}: compose would interpolate $ in the healthcheck`);
    // on-failure: a clean stop stays stopped. (Compose cannot exempt exit codes 2, 3, 4 as systemd does.)
    assert.equal(service.restart, 'on-failure', `${name}: restart`);
    assert.equal(service.stop_grace_period, '60s', `${name}: the source needs time to commit on SIGTERM`);
  }
});

test("the source service's healthcheck command exits 1 when nothing answers", () => {
  const check = compose.services.source!.healthcheck!.test;
  const script = check[check.indexOf('-e') + 1]!.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1');
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(res.status, 1, res.stderr);
});

test('compose.yaml puts only Prometheus and Grafana in the monitoring profile, mounting files from deploy/ that exist', () => {
  const prometheus = compose.services.prometheus!;
  const grafana = compose.services.grafana!;
  assert.match(prometheus.image!, /^prom\/prometheus:/);
  assert.match(grafana.image!, /^grafana\/grafana:/);
  for (const service of [prometheus, grafana]) assert.deepEqual(service.profiles, ['monitoring']);
  for (const [name, service] of Object.entries(compose.services)) {
    if (!['prometheus', 'grafana'].includes(name)) assert.equal(service.profiles, undefined, `${name} would not start by default`);
  }
  const mounts = (s: typeof prometheus) => new Map((s.volumes ?? []).map((v) => v.split(':') as [string, string]));
  assert.equal(mounts(prometheus).get('./deploy/prometheus/prometheus.yml'), '/etc/prometheus/prometheus.yml');
  assert.ok(mounts(prometheus).has('./deploy/prometheus/alerts.yml'));
  assert.ok([...mounts(grafana).keys()].includes('./deploy/grafana/cdc-pipeline.json'));
  // Every file compose mounts from the repository exists (./output is made at run time).
  for (const service of Object.values(compose.services)) {
    for (const source of mounts(service).keys()) {
      if (source.startsWith('./') && source !== './output') assert.ok(existsSync(`${root}${source}`), `${source} does not exist`);
    }
  }
  // Named volumes are declared.
  for (const service of Object.values(compose.services)) {
    for (const source of mounts(service).keys()) {
      if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(compose.volumes && source in compose.volumes, `volume ${source} not declared`);
    }
  }
});

test('the Prometheus and Grafana config files name compose services and paths compose.yaml mounts', async () => {
  const prometheusYml = parse(await readFile(`${root}deploy/prometheus/prometheus.yml`, 'utf8')) as {
    rule_files: string[]; scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
  };
  const targets = prometheusYml.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
  assert.ok(targets.includes(`source:${DEFAULTS.SOURCE_METRICS_PORT}`), 'Prometheus does not scrape the source service');
  assert.ok(targets.includes(`consumers:${DEFAULTS.POOL_METRICS_PORT}`), 'Prometheus does not scrape the consumers service');
  for (const target of targets) assert.ok(target.split(':')[0]! in compose.services, `${target} is not a compose service`);
  const prometheusMounts = compose.services.prometheus!.volumes!.map((v) => v.split(':')[1]);
  for (const file of prometheusYml.rule_files) assert.ok(prometheusMounts.includes(file), `${file} is not mounted into Prometheus`);

  const grafanaMounts = compose.services.grafana!.volumes!.map((v) => v.split(':'));
  const dashboards = parse(await readFile(`${root}deploy/grafana/provisioning/dashboards.yml`, 'utf8')) as { providers: Array<{ options: { path: string } }> };
  const dashboardTarget = grafanaMounts.find(([source]) => source === './deploy/grafana/cdc-pipeline.json')![1]!;
  assert.ok(dashboardTarget.startsWith(`${dashboards.providers[0]!.options.path}/`), 'the dashboard is not mounted where the provider looks');
  for (const file of ['datasources', 'dashboards']) {
    const target = grafanaMounts.find(([source]) => source === `./deploy/grafana/provisioning/${file}.yml`)?.[1];
    assert.match(target ?? '', new RegExp(`^/etc/grafana/provisioning/${file}/[^/]+\\.ya?ml$`), `provisioning/${file}.yml mount`);
  }
  const datasources = parse(await readFile(`${root}deploy/grafana/provisioning/datasources.yml`, 'utf8')) as { datasources: Array<{ url: string }> };
  const url = new URL(datasources.datasources[0]!.url);
  assert.ok(url.hostname in compose.services, `${url.hostname} is not a compose service`);
  assert.equal(url.port, '9090');
});

test("the Dockerfile's exec-form ENTRYPOINT is node on dist/cli/cdc.js from a node:22/24 base, and compose passes only the command", async () => {
  const dockerfile = (await import('node:fs')).readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
  assert.ok(froms.length > 0 && froms.every((f) => /^node:(22|24)\b/.test(f)), `base images: ${froms.join(', ')}`);
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  const argv = entry ? (JSON.parse(entry) as string[]) : [];
  assert.equal(argv[0], 'node', 'exec form, node first: no npm or shell to swallow SIGTERM');
  assert.equal(argv[argv.length - 1], 'dist/cli/cdc.js');
  assert.ok(argv.slice(1, -1).every((a) => a.startsWith('--')), `only Node flags between: ${argv.join(' ')}`);
  assert.doesNotMatch(dockerfile, /^(CMD|ENTRYPOINT) .*\b(npm|tsx|sh -c)\b/m);
  for (const name of ['source', 'consumers'] as const) {
    assert.deepEqual(compose.services[name]!.command, [name], `${name}: the image's entrypoint with the command`);
  }
});
