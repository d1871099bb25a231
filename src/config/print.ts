import { isSecretSetting, type ResolvedSettings } from '../config.js';
import { REDACTED } from './file.js';

/**
 * The effective settings as a config file that can be saved and used with --config (or EnvironmentFile=):
 * grouped by where each value came from, origins in comment lines only (a `#` inside a value is part of it),
 * and every secret commented out, to be filled in by hand.
 */
export function formatSettings(resolved: ResolvedSettings): string {
  const lines = [
    `# effective configuration: environment over ${resolved.file ? `config file ${resolved.file}` : 'no config file'} over defaults.`,
    '# Saved as a file it works with --config; the secrets are commented out: write them in.',
  ];
  const groups: Array<[string, string]> = [['env', 'from the environment'], ['file', `from ${resolved.file ?? 'the config file'}`], ['default', 'defaults']];
  for (const [origin, title] of groups) {
    const keys = Object.keys(resolved.values).filter((k) => (resolved.origin[k] ?? 'env') === origin).sort();
    if (keys.length === 0) continue;
    lines.push('', `# ${title}`);
    for (const key of keys) {
      const value = resolved.values[key] ?? '';
      if (isSecretSetting(key) && value !== '') lines.push(`#${key}=${REDACTED}`);
      else lines.push(`${key}=${/[\s"']/.test(value) || value === '' ? JSON.stringify(value) : value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
