// Which process this is in a `workers: N` group. node:cluster is small (about 2 MiB); what a
// single process must not load is the group's machinery (server/cluster.ts: prom-client's
// aggregator, the primary's admin endpoint), which serve.ts imports only in a group.
import cluster from 'node:cluster';
import { availableCpus } from './cpu-quota.js';
import type { Config } from '../config/load.js';

/** The cluster worker's id (cluster.worker.id), or undefined outside a worker. */
export function clusterWorkerId(): number | undefined {
  return cluster.isWorker ? cluster.worker!.id : undefined;
}

/** `auto`: the cores this process may use, capped by its container's CPU quota. */
export function workerCount(config: Pick<Config, 'workers'>): number {
  return config.workers === 'auto' ? availableCpus() : config.workers;
}
