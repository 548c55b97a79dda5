import { z } from 'zod';
import { lazily } from '../../common/options.js';

/** Options of `Hosts.command()`. */
export interface CommandHostOptions {
  /**
   * The launcher: a command that runs the command appended to it on the workers' machine (a container, a pod, a
   * namespace…) with its stdin and stdout relayed, and that ends (closing the remote side's stdin) when this process
   * goes. Cohort appends `<nodePath> -e <agent> <config>`; no shell parses them.
   * @example ['kubectl', 'exec', '-i', 'pod/workers-0', '-c', 'app', '--']
   * @example ['docker', 'exec', '-i', 'build-box']
   */
  argv: readonly string[];
  /**
   * The host's name in messages and output prefixes.
   * @default `command:<argv[0]> …`, the launcher and its arguments
   */
  name?: string;
  /**
   * The Node.js binary there (>= 20.19).
   * @default 'node' (looked up on the PATH the launcher gives)
   */
  nodePath?: string;
  /**
   * The entry script's path there: your same program, installed there (a relative path is resolved against `cwd`).
   * @default the master's own entry script path (`process.argv[1]`), the same layout being assumed
   */
  entry?: string;
  /**
   * The directory (absolute) there where workers start, and where Node resolves the master's `--import` loaders
   * (tsx) from. A spawn's `cwd` option moves the worker from there.
   * @default the directory the master's app started in, the same layout being assumed
   */
  cwd?: string;
  /**
   * How the master reaches these workers: `'tunnel'`, through the launcher's own stdin/stdout (works wherever the
   * launcher does; a `WorkerRef` of such a worker can be dialled only by its spawner); `'tcp'`, directly, at
   * `connectHost`; `'auto'`, TCP when the master can connect, else the tunnel.
   * @default 'tunnel'
   */
  transport?: 'tunnel' | 'tcp' | 'auto';
  /**
   * For `'tcp'` and `'auto'`: where the master (and any process given a `WorkerRef`) connects to these workers.
   * @default the first non-loopback IPv4 address of the workers' machine (as the agent there finds it)
   */
  connectHost?: string;
  /**
   * For `'tcp'` and `'auto'`: the interface the workers listen on.
   * @default '0.0.0.0'
   */
  listenHost?: string;
}

export const commandHostOptionsSchema = lazily(() => {
  const path = z.string().min(1);

  return z.strictObject({
    argv: z
      .array(z.string().min(1))
      .min(1, { message: 'must name the launcher (e.g. ["docker", "exec", "-i", "box"])' })
      .readonly(),
    name: z.string().min(1).optional(),
    nodePath: path.optional(),
    entry: path.optional(),
    cwd: z.string().startsWith('/', { message: "must be an absolute path on the workers' machine" }).optional(),
    transport: z.enum(['tunnel', 'tcp', 'auto']).optional(),
    connectHost: z.string().min(1).optional(),
    listenHost: z.string().min(1).optional(),
  });
});
