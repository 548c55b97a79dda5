import { setLazyParts } from './common/lazy-parts.js';

// Imported first by the package entry, and by nothing else: the build keeps this module, alone, out of the chunk
// every process loads (see common/lazy-parts.ts).
setLazyParts({
  pool: () => import('./pool/pool.js'),
  mapReduceEngine: () => import('./mapreduce/engine.js'),
  appSpares: () => import('./parallel/app-spares.js'),
  sshAgent: () => import('./host/ssh/ssh-agent.js'),
  commandAgent: () => import('./host/command/command-agent.js'),
  slurmAgent: () => import('./host/slurm/slurm-agent.js'),
});
