import { checkOptions } from '../../common/options.js';
import { AgentHost } from '../agent/agent-host.js';
import type { Host } from '../host.js';
import { shellCommand } from './shell-quote.js';
import { sshHostOptionsSchema, type SshHostOptions } from './ssh-options.js';
import { childProcess } from '../../common/builtins.js';

const SSH = 'ssh';
const SSH_CONFIG_TIMEOUT_MS = 10_000;

/**
 * Runs workers on another machine through OpenSSH: one ssh connection per host (opened on the first spawn,
 * closed once its last worker has exited) runs a small agent there, which starts each worker as a local spawner
 * would and relays its control channel, output and exit (see agent/agent-source.ts). Workers listen on TCP; the
 * master connects to them directly (or through the ssh connection itself, with `transport: 'tunnel'`),
 * authenticated with the app's secret, which travels inside ssh (stdin), never on a command line or in an
 * environment.
 *
 * @example
 * const worker = await Counter.spawn({ host: Hosts.ssh({ destination: 'me@build-1', nodePath: '/usr/local/bin/node' }) });
 */
export function sshHost(options: SshHostOptions): Host {
  const checked = checkOptions(sshHostOptionsSchema(), options, 'Hosts.ssh');
  const { destination, sshArgs = [] } = checked;
  const nodePath = checked.nodePath ?? 'node';
  const tryIt = ['ssh', ...sshArgs, destination, 'true'].join(' ');
  let connectHost: Promise<string> | undefined;
  return new AgentHost({
    name: `ssh:${destination}`,
    launcherName: 'ssh',
    transport: checked.transport ?? 'tcp',
    placement: checked,
    // One word for ssh, parsed again by the remote login shell: every part quoted. `exec`: no shell left between
    // sshd and the agent.
    command: (agentArgv) => {
      // Looked up while ssh connects, not after.
      connectHost ??=
        checked.connectHost !== undefined ? Promise.resolve(checked.connectHost) : configuredHostname(checked);
      return {
        file: SSH,
        args: [...sshArgs, '-T', '-o', 'BatchMode=yes', '--', destination, `exec ${shellCommand(agentArgv)}`],
      };
    },
    reach: async (hello) => {
      connectHost ??=
        checked.connectHost !== undefined ? Promise.resolve(checked.connectHost) : configuredHostname(checked);
      return { connectHost: await connectHost, listenHost: checked.listenHost ?? hello.serverAddress ?? '0.0.0.0' };
    },
    startHint: (detail) =>
      `${detail}. Check that \`${tryIt}\` works without any prompt (key authentication, known host key) and that ` +
      `\`${nodePath}\` runs Node.js >= 20.19 there (or set Hosts.ssh({ nodePath }))`,
    notFound: `${SSH} was not found: install the OpenSSH client (ssh)`,
  });
}

/**
 * The host name ssh itself connects to, after its config (`Host` aliases, `HostName`): `ssh -G` prints the
 * resolved configuration without connecting. Falls back to the destination's host part.
 */
function configuredHostname(options: SshHostOptions): Promise<string> {
  return new Promise((resolve) => {
    childProcess().execFile(
      SSH,
      [...(options.sshArgs ?? []), '-G', '--', options.destination],
      { timeout: SSH_CONFIG_TIMEOUT_MS },
      (error, stdout) => {
        const line = error === null ? stdout.split('\n').find((l) => l.startsWith('hostname ')) : undefined;
        resolve(line?.slice('hostname '.length).trim() || hostOfDestination(options.destination));
      },
    );
  });
}

/** `user@host`, `host`, `ssh://user@host:port` → `host`. */
function hostOfDestination(destination: string): string {
  const withoutScheme = destination.replace(/^ssh:\/\//, '');
  const host = withoutScheme.slice(withoutScheme.lastIndexOf('@') + 1);
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return destination.startsWith('ssh://') ? host.replace(/:\d+$/, '') : host;
}
