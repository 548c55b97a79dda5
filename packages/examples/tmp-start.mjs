import { startApp } from '@cohort/core';
import { PoolBench } from './dist/bench/pool/definitions.js';
await startApp();
const w = await PoolBench.spawn();
await w.run(PoolBench.functions.add, [1, 2]);
await w.shutdown();
