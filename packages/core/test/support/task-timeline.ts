// What the scheduler told one task's handlers, and when: the record the term/kill timeout tests judge, for local
// and remote workers alike.
import type { AddTaskOptions, TaskResult } from '../../src/index.js';

export interface TaskTimeline {
  pid?: number;
  start?: number;
  term?: number;
  kill?: number;
  finish?: number;
  termCalls: number;
  killCalls: number;
  messages: string[];
  result?: TaskResult<unknown>;
}

export interface TimelineRecorder {
  /** Every timeline so far, by tag. */
  readonly timelines: Record<string, TaskTimeline>;
  /** `options` with handlers that record into a new timeline under `tag`; `after` runs at the end of `onFinish`. */
  watch<T>(tag: string, options: AddTaskOptions<T>, after?: () => void): AddTaskOptions<T>;
}

/**
 * Times are read from `now`. `stampMessages`: each message is recorded with the time it arrived (`"armed at 812"`),
 * to show it came before a signal.
 */
export function timelineRecorder(
  now: () => number,
  { stampMessages = false }: { stampMessages?: boolean } = {},
): TimelineRecorder {
  const timelines: Record<string, TaskTimeline> = {};
  return {
    timelines,
    watch: (tag, options, after) => {
      const t: TaskTimeline = { termCalls: 0, killCalls: 0, messages: [] };
      timelines[tag] = t;
      return {
        ...options,
        onStart: (ctx) => {
          t.start = now();
          t.pid = ctx.workerPid;
        },
        onMessage: (_ctx, m) => t.messages.push(stampMessages ? `${String(m.value)} at ${now()}` : String(m.value)),
        onTermTimeout: () => {
          t.term = now();
          t.termCalls++;
        },
        onKillTimeout: () => {
          t.kill = now();
          t.killCalls++;
        },
        onFinish: (result) => {
          t.finish = now();
          t.result = result;
          after?.();
        },
      };
    },
  };
}
