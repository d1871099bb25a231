/**
 * Progress for long commands: a redrawn bar on a terminal (done / total, rate, ETA); otherwise a line every few
 * seconds through `log` (the command's JSON logger), so piped output stays one format.
 */
export interface Progress {
  update(done: number): void;
  finish(done: number): void;
}

export function createProgress(options: {
  label: string; total: number; unit?: string; tty?: boolean; write?: (s: string) => void; log?: (line: string) => void; everyMs?: number;
}): Progress {
  const tty = options.tty ?? Boolean(process.stderr.isTTY);
  const write = options.write ?? ((s: string) => process.stderr.write(s));
  const unit = options.unit ?? 'rows';
  const everyMs = options.everyMs ?? (tty ? 200 : 5_000);
  const started = performance.now();
  let last = 0;
  const render = (done: number, final: boolean) => {
    const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
    const rate = done / seconds;
    // The total is an estimate (offsets count transaction markers, rows change meanwhile): done is 100 %.
    const total = final ? done : Math.max(options.total, done);
    const pct = total === 0 ? 100 : (done / total) * 100;
    const eta = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
    const text = `${options.label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} ${unit} ${pct.toFixed(1)}% ` +
      `${Math.round(rate).toLocaleString('en')} ${unit}/s ${final ? `in ${seconds.toFixed(1)} s` : `ETA ${formatDuration(eta)}`}`;
    if (tty) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K${final ? '\n' : ''}`);
    } else if (options.log) options.log(text);
    else write(`${text}\n`);
  };
  return {
    update(done) {
      const now = performance.now();
      if (now - last < everyMs) return;
      last = now;
      render(done, false);
    },
    finish(done) {
      render(done, true);
    },
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
