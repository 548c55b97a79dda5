import { basename } from 'node:path';
import { checkOptions } from '../../common/options.js';
import { DeferredHost } from '../deferred-host.js';
import type { Host } from '../host.js';
import { commandHostOptionsSchema, type CommandHostOptions } from './command-options.js';
import { loadPart } from '../../common/lazy-parts.js';

/**
 * Runs workers wherever a launcher runs a command with its stdin and stdout relayed: `kubectl exec -i POD --`,
 * `docker exec -i CONTAINER`, `podman exec -i`, `ip netns exec NS`, a wrapper script. The launcher runs Cohort's
 * agent there (as `Hosts.ssh` does over ssh: one launcher process per host, opened at its first spawn and closed
 * once its last worker has exited), and by default every worker connection goes through the launcher's own stdio
 * (`transport: 'tunnel'`), so the master needs no route to the workers' network.
 *
 * @example
 * const pod = Hosts.command({ argv: ['kubectl', 'exec', '-i', 'workers-0', '--'], cwd: '/app', entry: 'dist/main.js' });
 * const worker = await Counter.spawn({ host: pod });
 */
export function commandHost(options: CommandHostOptions): Host {
  const checked = checkOptions(commandHostOptionsSchema(), options, 'Hosts.command');
  const [file, ...args] = checked.argv as [string, ...string[]];
  const name = checked.name ?? `command:${[basename(file), ...args].join(' ')}`;
  return new DeferredHost(name, async () =>
    ((await loadPart('commandAgent')) as typeof import('./command-agent.js')).commandAgentHost(name, checked),
  );
}
