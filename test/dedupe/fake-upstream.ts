// A stand-in for the gateway's forward(): counts calls per key and answers a scripted status
// after a delay, so the tests read as "the upstream saw it N times".
import { setTimeout as sleep } from 'node:timers/promises';

export interface FakeUpstream {
  /** forward() for one delivery; the key only labels the count. */
  forward(key: string): () => Promise<number>;
  calls(key?: string): number;
}

export function fakeUpstream(answer: { status?: number | (() => number); delayMs?: number } = {}): FakeUpstream {
  const counts = new Map<string, number>();
  let total = 0;
  return {
    forward: (key) => async () => {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      total++;
      if (answer.delayMs !== undefined) await sleep(answer.delayMs);
      const status = answer.status ?? 200;
      return typeof status === 'function' ? status() : status;
    },
    calls: (key) => (key === undefined ? total : counts.get(key) ?? 0),
  };
}

export function sha(n: number): string {
  return n.toString(16).padStart(64, '0');
}
