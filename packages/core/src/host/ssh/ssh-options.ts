import { z } from 'zod';
import { lazily } from '../../common/options.js';

/** Options of `Hosts.ssh()`. */
export interface SshHostOptions {
  /**
   * Where to run workers, as you would give it to `ssh`: `user@host`, `host`, or a `Host` alias of your ssh config.
   * @example 'builder@build-1.example.com'
   */
  destination: string;
  /**
   * The Node.js binary on the remote machine (>= 20.19).
   * @default 'node' (looked up on the remote login's PATH)
   * @example '/opt/node-20/bin/node'
   */
  nodePath?: string;
  /**
   * The entry script's path on the remote machine: your same program, installed there (a relative path is
   * resolved against `cwd`).
   * @default the master's own entry script path (`process.argv[1]`), the same layout being assumed
   */
  entry?: string;
  /**
   * The directory (absolute) on the remote machine where workers start, and where Node resolves the master's `--import`
   * loaders (tsx) from. A spawn's `cwd` option moves the worker from there (a relative one is resolved against it).
   * @default the directory the master's app started in, the same layout being assumed
   */
  cwd?: string;
  /**
   * Extra arguments for the `ssh` client, before the destination: port, identity, config file, jump host…
   * Cohort adds `-T -o BatchMode=yes` (no terminal, no password prompt).
   * @example ['-p', '2222', '-i', '/home/me/.ssh/cohort_ed25519']
   */
  sshArgs?: readonly string[];
  /**
   * The host name or address the master (and any process given a `WorkerRef` of these workers) connects to.
   * @default the host name ssh connects to (from `ssh -G`, so aliases of your ssh config resolve)
   */
  connectHost?: string;
  /**
   * The interface remote workers listen on.
   * @default the address the ssh connection arrived on there (from `SSH_CONNECTION`), so workers are reachable
   * where ssh was, and on no other interface
   * @example '0.0.0.0'
   */
  listenHost?: string;
  /**
   * How the master reaches these workers: `'tcp'`, directly (the master must reach the machine's port);
   * `'tunnel'`, through the ssh connection itself (any firewall that lets ssh through; slower, and a `WorkerRef` of
   * such a worker can be dialled only by its spawner); `'auto'`, TCP when the master can connect, else the tunnel.
   * See the README, "On a cluster".
   * @default 'tcp'
   */
  transport?: 'tcp' | 'tunnel' | 'auto';
}

export const sshHostOptionsSchema = lazily(() => {
  // Not a flag, no whitespace or control characters: `ssh` must read it as the destination and nothing else.
  const destination = z
    .string()
    .min(1)
    .refine((d) => !d.startsWith('-') && !/[\s\p{Cc}]/u.test(d), {
      message: 'must not start with "-" or contain spaces or control characters',
    });
  const path = z.string().min(1);

  return z.strictObject({
    destination,
    nodePath: path.optional(),
    entry: path.optional(),
    cwd: z.string().startsWith('/', { message: 'must be an absolute path on the remote machine' }).optional(),
    sshArgs: z.array(z.string()).readonly().optional(),
    connectHost: z.string().min(1).optional(),
    listenHost: z.string().min(1).optional(),
    transport: z.enum(['tcp', 'tunnel', 'auto']).optional(),
  });
});
