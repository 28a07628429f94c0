// A one-line terminal progress bar with an ETA. It draws only on a TTY (a log file or a pipe
// gets nothing), and not at all under --json, whose stdout must stay machine-readable.

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export interface ProgressOptions {
  total: number;
  /** Draw nothing (e.g. --json). Also off when the stream is not a TTY. */
  disabled?: boolean;
  width?: number;
  /** Seconds since some origin; injectable for tests. */
  clock?: () => number;
}

export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly total: number;
  private readonly enabled: boolean;
  private readonly width: number;
  private readonly clock: () => number;
  private readonly start: number;
  private done = 0;

  constructor(stream: ProgressStream, options: ProgressOptions) {
    this.stream = stream;
    this.total = Math.max(1, options.total);
    this.enabled = !options.disabled && stream.isTTY === true;
    this.width = options.width ?? 24;
    this.clock = options.clock ?? (() => performance.now() / 1000);
    this.start = this.clock();
  }

  /** The line the bar shows after `done` of `total` steps (no carriage return). */
  line(done: number, label: string): string {
    const frac = Math.min(1, Math.max(0, done / this.total));
    const filled = Math.round(frac * this.width);
    const elapsed = this.clock() - this.start;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    return `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}% ${Math.floor(done)}/${this.total} elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta)} ${label}`;
  }

  update(done: number, label = ''): void {
    this.done = done;
    if (!this.enabled) return;
    let text = this.line(done, label);
    const cols = this.stream.columns ?? 120;
    if (text.length > cols - 1) text = text.slice(0, cols - 1);
    this.stream.write(`\r${text}\x1b[K`);
  }

  tick(label = ''): void {
    this.update(this.done + 1, label);
  }

  finish(): void {
    if (this.enabled) this.stream.write('\n');
  }
}
