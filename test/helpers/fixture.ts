// The scene most test files play in: a test PKI, a recording upstream (the app) and a gateway in
// front of it, started once per file (or per describe) and always torn down, even when a test or
// a later start failed. A file says what its scene is and then only its scenario:
//
//   const { pki, upstream, gw } = useGateway({ overrides: { limits: LIMITS } });
//
// The three names are usable inside tests and hooks; the values behind them exist only once the
// fixture's beforeAll has run, so they are handles that reach the real objects when used.
import { beforeAll, afterAll, beforeEach } from 'vitest';
import type { KeyAlgorithm } from '../../src/tls/pki.js';
import { createTestPki, type TestPki } from './pki.js';
import { startUpstream, ok, type RecordingUpstream } from './upstream.js';
import { startGateway, type AppSpec, type Harness } from './gateway.js';

/** The usual app: `/webhooks/shop` forwarded to the upstream's `/hook`. */
export const shopApp = (upstream: { url: string }): AppSpec => ({ name: 'shop', path: '/webhooks/shop', upstream: `${upstream.url}/hook` });

export interface TestbedOptions {
  /** Key algorithm of the test PKI (default ec). */
  key?: KeyAlgorithm;
  /** Start a recording upstream (default true). Without one, `upstream` throws when used. */
  upstream?: boolean;
}

export interface GatewayFixtureOptions extends TestbedOptions {
  /** The app files, given the recording upstream (default: one `shopApp`). Called after every
   *  beforeAll registered before `useGateway`, so it may use what those started. */
  apps?: (upstream: RecordingUpstream) => AppSpec[];
  /** Deep-merged over the test gateway.yaml (see writeConfigFolder). */
  overrides?: Record<string, unknown>;
}

export interface Testbed {
  pki: TestPki;
  upstream: RecordingUpstream;
}

export interface GatewayFixture extends Testbed {
  gw: Harness;
}

/** A handle for a value that is set in a beforeAll: every use reaches the current value, and a
 *  use before it exists fails with its name instead of "cannot read properties of undefined". */
function late<T extends object>(name: string): { handle: T; set(value: T | undefined): void } {
  let value: T | undefined;
  const current = (): T => {
    if (value === undefined) throw new Error(`${name} is not there: use it inside a test or hook, after the fixture's beforeAll`);
    return value;
  };
  const handle = new Proxy({} as T, {
    get: (_t, key) => {
      const v = current();
      const x: unknown = Reflect.get(v, key, v);
      return typeof x === 'function' ? (x as (...a: unknown[]) => unknown).bind(v) : x;
    },
    set: (_t, key, x) => Reflect.set(current(), key, x),
    has: (_t, key) => Reflect.has(current(), key),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(current(), key);
      return d && { ...d, configurable: true };
    },
  });
  return { handle, set: (v) => (value = v) };
}

/** Starts something in a beforeAll of the enclosing file or describe and stops it in the matching
 *  afterAll (even when a test failed); returns a handle to it under `name`. */
export function useStarted<T extends object>(name: string, start: () => Promise<T>, stop: (value: T) => unknown): T {
  const slot = late<T>(name);
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
    slot.set(value);
  });
  afterAll(async () => {
    const v = value;
    value = undefined;
    slot.set(undefined);
    if (v) await stop(v);
  });
  return slot.handle;
}

/** A test PKI and a recording upstream for the enclosing file or describe; the upstream's
 *  record and responder are reset before each test. */
export function useTestbed(options: TestbedOptions = {}): Testbed {
  const pki = useStarted('pki', () => createTestPki(options.key), (p) => p.cleanup());
  if (options.upstream === false) return { pki, upstream: late<RecordingUpstream>('upstream (the fixture has none)').handle };
  const upstream = useStarted('upstream', () => startUpstream(), (u) => u.close());
  beforeEach(() => {
    upstream.received.length = 0;
    upstream.respondWith(ok);
  });
  return { pki, upstream };
}

/** `useTestbed` plus one gateway in front of the upstream, stopped before the upstream closes
 *  (vitest runs after-hooks in reverse order). */
export function useGateway(options: GatewayFixtureOptions = {}): GatewayFixture {
  const bed = useTestbed(options);
  const apps = options.apps ?? ((upstream) => [shopApp(upstream)]);
  const gw = useStarted('gw', () => startGateway(bed.pki, apps(bed.upstream), options.overrides), (g) => g.stop());
  return { ...bed, gw };
}
