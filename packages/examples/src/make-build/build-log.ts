// The build's output. In a terminal: permanent lines for events, and one status line at the bottom, redrawn as
// progress arrives. Anywhere else (a pipe, a CI log): plain lines only, one per event and per progress message.
import { formatSeconds } from './format.js';

type Paint = (text: string) => string;

const ansi =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const plain: Paint = (text) => text;

export type EventKind = 'start' | 'built' | 'failed' | 'skipped' | 'SIGTERM' | 'SIGKILL' | 'worker' | 'stop';

const colors: Record<EventKind, Paint> = {
  start: ansi(36, 39),
  built: ansi(32, 39),
  failed: ansi(31, 39),
  skipped: ansi(33, 39),
  SIGTERM: ansi(31, 39),
  SIGKILL: ansi(31, 39),
  worker: ansi(2, 22),
  stop: ansi(33, 39),
};

export class BuildLog {
  private statusShown = false;
  private ended = false;
  private readonly startedAt = performance.now();

  /** `status` describes the whole build in one line, for the status line and the periodic report. */
  constructor(
    readonly live: boolean,
    private readonly status: () => string,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** A permanent line. */
  line(text: string): void {
    this.clearStatus();
    process.stdout.write(`${text}\n`);
    this.drawStatus();
  }

  /** A permanent line for something that happened to a target or a worker, stamped with the build's time. */
  event(kind: EventKind, text: string): void {
    const paint = this.live ? colors[kind] : plain;
    this.line(`[${formatSeconds(this.elapsedMs()).padStart(6)}] ${paint(kind.padEnd(7))} ${text}`);
  }

  /** A step's progress: the status line is redrawn in a terminal; elsewhere it is a line of its own. */
  progress(target: string, percent: number, note: string): void {
    if (this.live) this.drawStatus();
    else this.line(`         ${target} ${String(percent).padStart(3)}%  ${note}`);
  }

  /** The periodic report: a redraw in a terminal (its clock moves on); elsewhere a line. */
  tick(): void {
    if (this.live) this.drawStatus();
    else this.line(`         … ${this.status()}`);
  }

  /** Removes the status line: what follows is permanent output. */
  end(): void {
    this.clearStatus();
    this.ended = true;
  }

  private drawStatus(): void {
    if (!this.live || this.ended) return;
    // Wider than the terminal, the line would wrap, and \r would then redraw only its last row.
    // `columns` is 0 on a pseudo-terminal that was given no size.
    const width = Math.max(20, (process.stdout.columns || 100) - 1);
    const text = this.status();
    process.stdout.write(`\r\x1b[2K\x1b[2m${text.length > width ? `${text.slice(0, width - 1)}…` : text}\x1b[22m`);
    this.statusShown = true;
  }

  private clearStatus(): void {
    if (this.statusShown) process.stdout.write('\r\x1b[2K');
    this.statusShown = false;
  }
}
