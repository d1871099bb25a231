import { isSecretSetting, type ResolvedSettings } from '../config.js';

/**
 * The effective settings as a config file (so the output can be saved and used with --config), each value
 * marked with where it came from; secrets are shown as *** (or as empty, when they are).
 */
export function formatSettings(resolved: ResolvedSettings): string {
  const lines = [
    `# effective configuration: environment over ${resolved.file ? `config file ${resolved.file}` : 'no config file'} over defaults; secrets shown as ***`,
  ];
  const width = Math.max(...Object.keys(resolved.values).map((k) => k.length));
  for (const [key, value] of Object.entries(resolved.values).sort(([a], [b]) => a.localeCompare(b))) {
    const shown = isSecretSetting(key) && value !== '' ? '***' : /[\s#"']/.test(value) || value === '' ? JSON.stringify(value) : value;
    lines.push(`${`${key}=${shown}`.padEnd(width + 24)} # ${resolved.origin[key] ?? 'env'}`);
  }
  return `${lines.join('\n')}\n`;
}
