import { basename } from 'node:path';
import { AgentHost } from '../agent/agent-host.js';
import type { Host } from '../host.js';
import type { CommandHostOptions } from './command-options.js';

/** `Hosts.command` once a spawn needs it (see command-host.ts), from options already checked. */
export function commandAgentHost(name: string, checked: CommandHostOptions): Host {
  const [file, ...args] = checked.argv as [string, ...string[]];
  const nodePath = checked.nodePath ?? 'node';
  const tryIt = [...checked.argv, nodePath, '--version'].join(' ');
  return new AgentHost({
    name,
    launcherName: basename(file),
    transport: checked.transport ?? 'tunnel',
    placement: checked,
    command: (agentArgv) => ({ file, args: [...args, ...agentArgv] }),
    reach: (hello) =>
      Promise.resolve({
        connectHost: checked.connectHost ?? hello.addresses[0],
        listenHost: checked.listenHost ?? '0.0.0.0',
      }),
    startHint: (detail) =>
      `${detail}. Check that \`${tryIt}\` prints the version of a Node.js >= 20.19 there (or set Hosts.command({ nodePath })), ` +
      'and that the launcher relays stdin and gives no terminal (kubectl exec -i, docker exec -i; no -t)',
    notFound: `${file} was not found: install it, or give its full path in Hosts.command({ argv })`,
  });
}
