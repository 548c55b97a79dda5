import { localHost } from './local.js';
import { sshHost } from './ssh/ssh-host.js';

/**
 * Launchers for workers. `Hosts.local()` is the default: a child process of the spawner. `Hosts.ssh({ destination })`
 * runs workers on another machine through OpenSSH.
 */
export const Hosts = Object.freeze({
  local: localHost,
  ssh: sshHost,
});
