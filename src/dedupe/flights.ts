// Deliveries under way in this process, by key: the first to arrive leads (asks the store and
// sends), identical keys arriving meanwhile wait for its outcome instead of racing it.
import { FORWARD_THREW_STATUS } from './outcome.js';

/** A key's outcome as a waiting twin learns it: delivered with a 2xx, failed with a status, or
 *  still in flight when the waiter gave up. */
export type Settled = 'delivered' | 'timeout' | number;

/** A key in flight. Its promise is made only when a twin first waits on it: most keys never
 *  have a twin, and a batch of a hundred events should not cost a hundred promises. */
class Flight {
  private promise: Promise<Settled> | undefined;
  private resolve: ((settled: Settled) => void) | undefined;
  private settled: Settled | undefined;

  outcome(): Promise<Settled> {
    if (this.settled !== undefined) return Promise.resolve(this.settled);
    this.promise ??= new Promise<Settled>((r) => (this.resolve = r));
    return this.promise;
  }

  settle(settled: Settled): void {
    this.settled = settled;
    this.resolve?.(settled);
  }
}

export interface Entered {
  /** Indexes of the keys this batch leads. */
  readonly led: number[];
  /** Keys another batch in this process leads: index and that flight's outcome. */
  readonly joined: Array<readonly [number, Promise<Settled>]>;
  /** A key listed again in the same batch: [index, index of its first listing]. */
  readonly repeats: Array<readonly [number, number]>;
  /** Publishes a led key's outcome to its waiters (once; later calls are ignored). */
  settle(key: string, settled: Settled): void;
  /** Settles every led key not settled yet as failed: nothing may wait on a batch that threw. */
  abandon(): void;
}

export function createFlights(waitMs: number) {
  const flights = new Map<string, Flight>();

  return {
    get size(): number {
      return flights.size;
    },

    /** Synchronous: a twin arriving during this batch's first await finds its flights. */
    enter(keys: readonly string[]): Entered {
      const mine = new Map<string, Flight>();
      const first = new Map<string, number>();
      const entered: Entered = {
        led: [],
        joined: [],
        repeats: [],
        settle(key, settled) {
          const flight = mine.get(key);
          if (flight === undefined) return;
          mine.delete(key);
          if (flights.get(key) === flight) flights.delete(key);
          flight.settle(settled);
        },
        abandon() {
          for (const key of [...mine.keys()]) entered.settle(key, FORWARD_THREW_STATUS);
        },
      };
      keys.forEach((key, i) => {
        const seen = first.get(key);
        if (seen !== undefined) return void entered.repeats.push([i, seen]);
        first.set(key, i);
        const twin = flights.get(key);
        if (twin !== undefined) return void entered.joined.push([i, twin.outcome()]);
        const flight = new Flight();
        flights.set(key, flight);
        mine.set(key, flight);
        entered.led.push(i);
      });
      return entered;
    },

    /** Waits for the twins' outcomes, each at most waitMs ('timeout' then). */
    async join(twins: ReadonlyArray<Promise<Settled>>): Promise<Settled[]> {
      if (twins.length === 0) return [];
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), waitMs);
      });
      try {
        return await Promise.all(twins.map((twin) => Promise.race([twin, timeout])));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
