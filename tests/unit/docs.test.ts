import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, SETTING_NAMES } from '../../src/config.js';

/**
 * The documentation names things the code defines (settings, their defaults) and files of the repository (links).
 * These checks make a renamed setting, a setting added without its row, or a moved file fail here instead of in a
 * page that quietly stops being true.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** Fenced code blocks left out: what they hold is neither a link nor a heading. */
const unfenced = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

/** Code blocks and inline code spans left out: what is left is prose, whose links are links. */
const prose = (markdown: string) => unfenced(markdown).replace(/(`+)[^`]*?\1/g, '``');

// ---- the settings table -------------------------------------------------------------------------------------

interface SettingRow { names: string[]; defaults: string[]; line: string }

/** A markdown table row's cells, `\|` inside a cell kept as a pipe. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The rows of the table whose header is `| variable | default | meaning |`. */
function settingsTable(markdown: string): SettingRow[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((l) => /^\|\s*variable\s*\|\s*default\s*\|\s*meaning\s*\|\s*$/.test(l));
  assert.ok(header >= 0, 'no "| variable | default | meaning |" table');
  const rows: SettingRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [name = '', value = ''] = cells(line);
    // One name, or several sharing a row: `MYSQL_HOST` / `MYSQL_PORT`.
    assert.match(name, /^`[^`]+`( \/ `[^`]+`)*$/, `not a setting name, or names joined by " / ": ${name}`);
    const names = [...name.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const defaults = value === '' ? [] : value.split(' / ').map((d) => (d === '(empty)' ? '' : /^`(.*)`$/.exec(d)?.[1] ?? d));
    rows.push({ names, defaults, line });
  }
  return rows;
}

/** Passed through to librdkafka rather than a setting of its own. */
const PASS_THROUGH = 'RDKAFKA_<NAME>';

test('settingsTable reads names that share a row, and their defaults', () => {
  const rows = settingsTable([
    'intro', '', '| variable | default | meaning |', '|---|---|---|',
    '| `MYSQL_HOST` / `MYSQL_PORT` | `127.0.0.1` / `3307` | the source database |',
    '| `KAFKA_SSL_KEY_LOCATION` / `KAFKA_SSL_KEY_PASSWORD` | (empty) | key |',
    '| `RDKAFKA_<NAME>` | | pass-through, a \\| b |', '', '| other | table |',
  ].join('\n'));
  assert.deepEqual(rows.map((r) => [r.names, r.defaults]), [
    [['MYSQL_HOST', 'MYSQL_PORT'], ['127.0.0.1', '3307']],
    [['KAFKA_SSL_KEY_LOCATION', 'KAFKA_SSL_KEY_PASSWORD'], ['']],
    [['RDKAFKA_<NAME>'], []],
  ]);
  assert.throws(() => settingsTable('| variable | default | meaning |\n|---|---|---|\n| MYSQL_HOST | x | y |'), /not a setting name/);
  assert.throws(() => settingsTable('| name | default | meaning |'), /no .* table/);
});

const settingRows = settingsTable(read('docs/configuration.md'));
const documented = settingRows.flatMap((r) => r.names);

test('docs/configuration.md lists every setting once, and no setting that does not exist', () => {
  assert.ok(settingRows.length >= 20, `only ${settingRows.length} rows in the settings table`);
  assert.deepEqual(documented.filter((n, i) => documented.indexOf(n) !== i), [], 'listed twice in docs/configuration.md');
  const known = new Set<string>(SETTING_NAMES);
  assert.deepEqual(SETTING_NAMES.filter((n) => !documented.includes(n)), [],
    'settings of src/config.ts (SETTING_NAMES) missing from the table in docs/configuration.md');
  assert.deepEqual(documented.filter((n) => !known.has(n) && n !== PASS_THROUGH), [],
    'docs/configuration.md lists settings that src/config.ts does not read');
});

test('docs/configuration.md gives each setting its default', () => {
  for (const { names, defaults, line } of settingRows) {
    if (names.includes(PASS_THROUGH)) continue;
    // One default per name, or one for all of them.
    assert.ok(defaults.length === names.length || defaults.length === 1, `${names.length} names, ${defaults.length} defaults: ${line}`);
    names.forEach((name, i) => {
      const said = defaults.length === 1 ? defaults[0] : defaults[i];
      assert.equal(said, DEFAULTS[name as keyof typeof DEFAULTS], `${name}: docs/configuration.md says ${JSON.stringify(said)}`);
    });
  }
});

// ---- links --------------------------------------------------------------------------------------------------

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of unfenced(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Targets of inline links and images, and of reference definitions, outside code. */
function links(markdown: string): string[] {
  const text = prose(markdown);
  return [
    ...[...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!),
  ];
}

const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

test('links and anchors are read from prose only, as GitHub names them', () => {
  assert.deepEqual(links('See [a](docs/a.md#x), ![c](img.png "t"), `[no](code.md)`, [w](https://x.org).\n' +
    '```\n[no](fenced.md)\n```\n[ref]: ../deploy/\n'), ['docs/a.md#x', 'img.png', 'https://x.org', '../deploy/']);
  assert.deepEqual([...anchors('# Title\n## The `npm start` command\n## MySQL 9.7 in the stack\n```sh\n# not a heading\n```\n## Title\n')],
    ['title', 'the-npm-start-command', 'mysql-97-in-the-stack', 'title-1']);
});

test('every relative link in README.md and docs/*.md points to a file that exists (and a heading that does)', () => {
  const broken: string[] = [];
  let count = 0;
  for (const page of pages) {
    for (const target of links(read(page))) {
      if (external(target)) continue;
      count++;
      const [path = '', anchor] = target.split('#', 2);
      const file = path === '' ? join(root, page) : resolve(root, dirname(page), decodeURI(path));
      if (relative(root, file).startsWith('..')) broken.push(`${page}: ${target} leaves the repository`);
      else if (!existsSync(file)) broken.push(`${page}: ${target} (no ${relative(root, file)})`);
      else if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${relative(root, file)})`);
      }
    }
  }
  assert.ok(count >= 50, `only ${count} relative links found: is the link pattern still right?`);
  assert.deepEqual(broken, [], 'broken links');
});

test('README.md links every page of docs/', () => {
  const linked = new Set(links(read('README.md')).map((t) => t.split('#')[0]));
  assert.deepEqual(pages.filter((p) => p !== 'README.md' && !linked.has(p)), [], 'pages of docs/ the README does not list');
});
