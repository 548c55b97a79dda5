import { execFile } from 'node:child_process';
import { posix } from 'node:path';
import { checkOptions } from '../../common/options.js';
import { chdirPreload, LAUNCH_DIR_VARIABLE, launchDir, WORKER_MARKER, withoutChdirPreload } from '../../process/worker-launch.js';
import type { AgentConfig, LaunchSpec } from '../agent/agent-protocol.js';
import { agentSource } from '../agent/agent-source.js';
import { AgentSession } from '../agent/agent-session.js';
import type { Host, LaunchedProcess, LaunchRequest } from '../host.js';
import { shellCommand } from './shell-quote.js';
import { sshHostOptionsSchema, type SshHostOptions } from './ssh-options.js';

const SSH = 'ssh';
/** Cohort's own variables, carried over from the spawner's environment (the rest describes this machine). */
const CARRIED_VARIABLES = [WORKER_MARKER, 'COHORT_RPC_SETTINGS'];
const SSH_CONFIG_TIMEOUT_MS = 10_000;

/**
 * Runs workers on another machine through OpenSSH: one ssh connection per host (opened on the first spawn,
 * closed once its last worker has exited) runs a small agent there, which starts each worker as a local spawner
 * would and relays its control channel, output and exit (see agent/agent-source.ts). Workers listen on TCP; the
 * master connects to them directly, authenticated with the app's secret, which travels inside ssh (stdin), never
 * on a command line or in an environment.
 *
 * @example
 * const worker = await Counter.spawn({ host: Hosts.ssh({ destination: 'me@build-1', nodePath: '/usr/local/bin/node' }) });
 */
export function sshHost(options: SshHostOptions): Host {
  return new SshHost(checkOptions(sshHostOptionsSchema, options, 'Hosts.ssh'));
}

class SshHost implements Host {
  readonly name: string;
  private session: AgentSession | undefined;
  private connectHost: Promise<string> | undefined;

  constructor(private readonly options: SshHostOptions) {
    this.name = `ssh:${options.destination}`;
  }

  launch(request: LaunchRequest): Promise<LaunchedProcess> {
    let session = this.session;
    if (session === undefined || !session.usable) {
      session = this.openSession(request);
      this.session = session;
    }
    this.connectHost ??= this.options.connectHost !== undefined ? Promise.resolve(this.options.connectHost) : configuredHostname(this.options);
    return session.launch(this.launchSpec(request), request, { connectHost: this.connectHost, listenHost: this.options.listenHost });
  }

  private openSession(request: LaunchRequest): AgentSession {
    const { destination, sshArgs = [] } = this.options;
    const nodePath = this.options.nodePath ?? 'node';
    const config: AgentConfig = { heartbeat: request.heartbeat };
    // One word for ssh, parsed again by the remote login shell: every part quoted. `exec`: no shell left between
    // sshd and the agent.
    const remoteCommand = `exec ${shellCommand([nodePath, '-e', agentSource, JSON.stringify(config)])}`;
    const tryIt = ['ssh', ...sshArgs, destination, 'true'].join(' ');
    return new AgentSession({
      hostName: this.name,
      command: { file: SSH, args: [...sshArgs, '-T', '-o', 'BatchMode=yes', '--', destination, remoteCommand] },
      heartbeat: request.heartbeat,
      startHint: (detail) =>
        `${detail}. Check that \`${tryIt}\` works without any prompt (key authentication, known host key) and that ` +
        `\`${nodePath}\` runs Node.js >= 20.19 there (or set Hosts.ssh({ nodePath }))`,
      onIdle: (idle) => {
        if (this.session === idle) this.session = undefined;
        idle.close();
      },
    });
  }

  /** The same program, placed on the remote machine as the options say. */
  private launchSpec(request: LaunchRequest): LaunchSpec {
    const startDir = this.options.cwd ?? launchDir();
    const execArgv = withoutChdirPreload(request.execArgv);
    if (request.cwd !== undefined) {
      const target = posix.resolve(startDir, request.cwd);
      if (target !== startDir) execArgv.push(chdirPreload(target));
    }
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.spawnEnv ?? {})) if (value !== undefined) env[name] = value;
    for (const name of CARRIED_VARIABLES) {
      const value = request.env[name];
      if (value !== undefined) env[name] = value;
    }
    // The worker's own local workers start where it started, as on this machine.
    env[LAUNCH_DIR_VARIABLE] = startDir;
    return {
      execArgv,
      entry: this.options.entry ?? request.entry,
      args: [...request.args],
      cwd: startDir,
      env,
      stdout: request.stdout === 'ignore' ? 'ignore' : 'pipe',
      detached: request.detached,
    };
  }
}

/**
 * The host name ssh itself connects to, after its config (`Host` aliases, `HostName`): `ssh -G` prints the
 * resolved configuration without connecting. Falls back to the destination's host part.
 */
function configuredHostname(options: SshHostOptions): Promise<string> {
  return new Promise((resolve) => {
    execFile(SSH, [...(options.sshArgs ?? []), '-G', '--', options.destination], { timeout: SSH_CONFIG_TIMEOUT_MS }, (error, stdout) => {
      const line = error === null ? stdout.split('\n').find((l) => l.startsWith('hostname ')) : undefined;
      resolve(line?.slice('hostname '.length).trim() || hostOfDestination(options.destination));
    });
  });
}

/** `user@host`, `host`, `ssh://user@host:port` → `host`. */
function hostOfDestination(destination: string): string {
  const withoutScheme = destination.replace(/^ssh:\/\//, '');
  const host = withoutScheme.slice(withoutScheme.lastIndexOf('@') + 1);
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return destination.startsWith('ssh://') ? host.replace(/:\d+$/, '') : host;
}
