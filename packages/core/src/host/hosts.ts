import { localHost } from './local.js';

/** Launchers for workers. `Hosts.local()` is the default: a child process of the spawner. */
export const Hosts = Object.freeze({
  local: localHost,
});
