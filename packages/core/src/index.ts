// First: hands the loaders of the master-side parts over (see common/lazy-parts.ts).
import './lazy-imports.js';
export { Parallel } from './api/parallel.js';
export type { PoolArgs, WorkerType } from './api/worker-type.js';
export { startApp } from './parallel/start-app.js';
export type { StartAppOptions } from './parallel/start-app.js';
export type { ServeOptions } from './parallel/serve.js';
export type { BaseWorkerType, SpawnArgs, WorkerTypeSpec } from './parallel/worker-type.js';
export type {
  AnyFunction,
  FunctionBuilder,
  FunctionContext,
  OneWayFunction,
  PipeFunction,
  ReversePipeFunction,
  RpcFunction,
  StateFunction,
} from './parallel/functions.js';
export { Worker } from './parallel/worker.js';
export { WorkerConnection } from './parallel/worker-connection.js';
export type { Runner, RunOptions } from './parallel/worker-connection.js';
export type { ConnectionClosedOptions, ProcessOptions, SpawnOptions, ShutdownOn } from './parallel/spawn-options.js';
export type { InspectOption } from './parallel/inspector-flags.js';
export type { WorkerRef } from './parallel/ref.js';
export type { OutputOption } from './process/output.js';
export { showProcessStatus } from './process/exit-status.js';
export type { ExitStatus } from './process/exit-status.js';
export { Hosts } from './host/hosts.js';
export type { Host, LaunchRequest, LaunchedProcess } from './host/host.js';
export type { SshHostOptions } from './host/ssh/ssh-options.js';
export type { CommandHostOptions } from './host/command/command-options.js';
export type { SlurmHostOptions } from './host/slurm/slurm-options.js';
export type { SlurmHost } from './host/slurm/slurm-host.js';
export type { TunnelAddress, WorkerAddress } from './parallel/tunnels.js';
export { CohortError, COHORT_ERROR_CODES } from './common/errors.js';
export type { CohortErrorCode } from './common/errors.js';
export { WARNING_CODES } from './common/warnings.js';
export type { WarningCode } from './common/warnings.js';
// The errors a call on a worker rejects with come from the RPC layer; re-exported so users import from one place.
export { RemoteError, RpcError, ValidationError } from '@cohort/rpc/internal';
export type { RpcErrorCode, RpcSettings } from '@cohort/rpc/internal';
export { Scheduler } from './scheduler/scheduler.js';
export { Task } from './scheduler/task.js';
export type { TaskType } from './scheduler/task.js';
export { Message } from './scheduler/message.js';
export type { MessageType } from './scheduler/message.js';
export { currentWorkerContext } from './scheduler/worker-runtime.js';
export type { TaskContext, SchedulerTaskContext, WorkerContext } from './scheduler/task-context.js';
export type { AddTaskOptions, SchedulerRunOptions, SchedulerWorkerInfo, TaskResult } from './scheduler/options.js';
export type { Timer } from './scheduler/timers.js';
export { MapReduce } from './mapreduce/mapreduce.js';
export type { MapReduceDef } from './mapreduce/definition.js';
export type { MapReduceDefOf, MapReduceInputs } from './mapreduce/mapreduce.js';
export type { MapReduceOptions, MapReduceProgress } from './mapreduce/options.js';
export type { Pool } from './pool/pool.js';
export type { PoolCloseOptions } from './pool/pool.js';
export type { PoolOptions, PoolRunOptions, RecycleOptions } from './pool/options.js';
export type { PoolStats, Percentiles } from './pool/stats.js';
