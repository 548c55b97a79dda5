import { checkOptions } from '../../common/options.js';
import { DeferredHost } from '../deferred-host.js';
import type { Host } from '../host.js';
import { sshHostOptionsSchema, type SshHostOptions } from './ssh-options.js';
import { loadPart } from '../../common/lazy-parts.js';

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
  const name = `ssh:${checked.destination}`;
  return new DeferredHost(name, async () =>
    ((await loadPart('sshAgent')) as typeof import('./ssh-agent.js')).sshAgentHost(name, checked),
  );
}
