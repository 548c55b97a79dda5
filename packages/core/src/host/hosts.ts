import { commandHost } from './command/command-host.js';
import { localHost } from './local.js';
import { slurmHost } from './slurm/slurm-host.js';
import { sshHost } from './ssh/ssh-host.js';

/**
 * Launchers for workers. `Hosts.local()` is the default: a child process of the spawner. `Hosts.ssh({ destination })`
 * runs workers on another machine through OpenSSH, `Hosts.command({ argv })` through any launcher that relays stdin
 * and stdout (kubectl exec, docker exec…), and `Hosts.slurm({ partition })` as job steps of a Slurm allocation.
 */
export const Hosts = Object.freeze({
  local: localHost,
  ssh: sshHost,
  command: commandHost,
  slurm: slurmHost,
});
