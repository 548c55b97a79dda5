import { AgentHost } from '../agent/agent-host.js';
import type { Host } from '../host.js';
import { shellCommand } from './shell-quote.js';
import type { SshHostOptions } from './ssh-options.js';
import { childProcess } from '../../common/builtins.js';

const SSH = 'ssh';
const SSH_CONFIG_TIMEOUT_MS = 10_000;

/** `Hosts.ssh` once a spawn needs it (see ssh-host.ts), from options already checked. */
export function sshAgentHost(name: string, checked: SshHostOptions): Host {
  const { destination, sshArgs = [] } = checked;
  const nodePath = checked.nodePath ?? 'node';
  const tryIt = ['ssh', ...sshArgs, destination, 'true'].join(' ');
  let connectHost: Promise<string> | undefined;
  return new AgentHost({
    name,
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
