import { fsPromises } from './builtins.js';

interface Slice {
  readonly track: number;
  readonly trackName: string;
  readonly name: string;
  readonly startUs: number;
  readonly durationUs: number;
  readonly args: Record<string, string>;
}

const SUMMARY_CHARS = 120;

/** A short, always-encodable description of a value for trace arguments. */
export function summarize(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS)}…` : text;
}

/**
 * Collects slices and writes them as Chrome trace-event JSON (the format Perfetto and chrome://tracing open):
 * complete events (`ph: 'X'`) with one thread per track, named by metadata events.
 */
export class TraceRecorder {
  private readonly slices: Slice[] = [];
  private readonly trackNames = new Map<number, string>();
  private readonly origin = performance.now();

  nowUs(): number {
    return Math.round((performance.now() - this.origin) * 1000);
  }

  add(slice: Slice): void {
    this.slices.push(slice);
  }

  /** Names a track even if no slice lands on it (a worker that started but was given no work). */
  nameTrack(track: number, name: string): void {
    this.trackNames.set(track, name);
  }

  /** One task's slice, on its worker's track (index 0 is track 1: track 0 names the process). */
  addTask(
    workerIndex: number,
    workerName: string,
    task: { readonly type: { readonly name: string }; readonly input: unknown; readonly startUs: number },
    result: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string },
  ): void {
    this.add({
      track: workerIndex + 1,
      trackName: workerName,
      name: task.type.name,
      startUs: task.startUs,
      durationUs: this.nowUs() - task.startUs,
      args: { input: summarize(task.input), result: result.ok ? summarize(result.value) : `error: ${result.error}` },
    });
  }

  async write(path: string, processName: string): Promise<void> {
    const tracks = new Map(this.trackNames);
    for (const s of this.slices) tracks.set(s.track, s.trackName);
    const pid = process.pid;
    const traceEvents: object[] = [{ ph: 'M', pid, tid: 0, name: 'process_name', args: { name: processName } }];
    for (const [track, name] of tracks)
      traceEvents.push({ ph: 'M', pid, tid: track, name: 'thread_name', args: { name } });
    for (const s of this.slices) {
      traceEvents.push({
        ph: 'X',
        pid,
        tid: s.track,
        name: s.name,
        ts: s.startUs,
        dur: Math.max(1, s.durationUs),
        args: s.args,
      });
    }
    await fsPromises().writeFile(path, JSON.stringify({ traceEvents, displayTimeUnit: 'ms' }));
  }
}
