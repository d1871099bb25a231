/**
 * The optional config file: KEY=VALUE lines, the same names as the environment, so one file serves
 * `--config`, systemd's EnvironmentFile= and compose's env_file. Blank lines and lines starting with `#` are
 * skipped; a value may be wrapped in single or double quotes. As in systemd, a `#` inside a value is part of it
 * (a password may contain one): comments take whole lines.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export type Settings = Record<string, string>;

/** Which names a file may set: the known ones (listed, for suggestions) plus pass-through ones. */
export interface KnownNames {
  names: readonly string[];
  passThrough: (key: string) => boolean;
}

export function readConfigFile(path: string, known: KnownNames): Settings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`config file ${path} cannot be read (${why}); check the path given to --config or CDC_CONFIG`);
  }
  return parseConfigText(text, path, known);
}

/** The placeholder --print-config writes for a secret; a config file holding it is refused (config.ts). */
export const REDACTED = '***';

export function parseConfigText(text: string, path: string, known: KnownNames): Settings {
  const settings: Settings = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    // The line itself is not quoted back: it may hold a secret with a typo in its key.
    if (!m) throw new ConfigError(`${path}:${i + 1}: expected KEY=VALUE (a name of capitals, digits and _, then =)`);
    const key = m[1]!;
    if (!known.names.includes(key) && !known.passThrough(key)) {
      throw new ConfigError(`${path}:${i + 1}: unknown setting ${key}${suggestion(key, known.names)}; see --print-config for the names`);
    }
    settings[key] = unquote(m[2]!);
  });
  return settings;
}

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  if (m) return m[1] === '"' ? m[2]!.replace(/\\(["\\])/g, '$1') : m[2]!;
  return value;
}

function suggestion(key: string, names: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = distance(key, name);
    if (d < bestDistance) { best = name; bestDistance = d; }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}
