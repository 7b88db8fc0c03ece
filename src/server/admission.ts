// Stage 1 (SPEC.md §2, §6) on the raw TCP socket, before the TLS handshake: the PROXY protocol
// header when enabled (from trustedProxies only), then Meta's address allowlist. Scanners and
// strangers cost no handshake. Reload swaps in new settings; a new allowlist takes over only
// once it has loaded, so a reload never opens a fail-closed gap.
import type { Socket } from 'node:net';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import { refuse } from '../refusal.js';
import { PrefixSet } from '../allowlist/prefix-set.js';
import { createAllowlist, type Allowlist } from '../allowlist/refresher.js';
import { readProxyHeader, ProxyHeaderError } from '../net/proxy-protocol.js';
import type { Admission } from './listeners.js';
import { normalizeAddress } from './listeners.js';

type AllowlistSettings = Config['allowlist'];
type ProxySettings = Config['proxyProtocol'];

function sameSettings(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ConfigurableAdmission extends Admission {
  applyConfig(config: Config): Promise<void>;
}

export function createAdmission(initial: Config, log: Logger, metrics: Metrics): ConfigurableAdmission {
  let allowlistSettings: AllowlistSettings = initial.allowlist;
  let allowlist: Allowlist | undefined;
  let proxy: ProxySettings = initial.proxyProtocol;
  let trustedProxies = PrefixSet.from(proxy.trustedProxies);

  function buildAllowlist(settings: AllowlistSettings): Allowlist | undefined {
    if (!settings.enabled) return undefined;
    const gauges = metrics.allowlist();
    return createAllowlist({
      ...settings,
      log: log.child({ component: 'allowlist' }),
      onChange: (state) => {
        gauges.prefixes.set(state.prefixes);
        if (state.lastSuccess !== undefined) gauges.lastSuccess.set(state.lastSuccess);
      },
    });
  }

  async function clientAddress(socket: Socket): Promise<string | ReturnType<typeof refuse>> {
    const peer = normalizeAddress(socket.remoteAddress);
    if (!proxy.enabled) return peer;
    // Only the load balancer may speak PROXY: anyone else could claim any source address.
    if (!trustedProxies.has(peer)) return refuse('proxy_untrusted', peer);
    try {
      const header = await readProxyHeader(socket, { timeoutMs: proxy.headerTimeoutMs });
      // LOCAL/UNKNOWN: the balancer's own health check; the connection's address stands.
      return header.local ? peer : normalizeAddress(header.sourceAddress);
    } catch (err) {
      return refuse('proxy_header_invalid', err instanceof ProxyHeaderError ? err.code : 'error');
    }
  }

  return {
    async admit(socket) {
      const address = await clientAddress(socket);
      if (typeof address !== 'string') return address;
      if (allowlist) {
        const refusal = allowlist.check(address);
        if (refusal) return { ...refusal, detail: address };
      }
      return { clientAddress: address };
    },
    notReadyReason() {
      return allowlist && !allowlist.isReady() ? `no ${allowlistSettings.asn} allowlist loaded yet` : null;
    },
    async start() {
      allowlist = buildAllowlist(allowlistSettings);
      // Never throws; without a list every connection is refused until one loads (fail closed).
      await allowlist?.start();
    },
    stop() {
      allowlist?.stop();
    },
    async applyConfig(config) {
      proxy = config.proxyProtocol;
      trustedProxies = PrefixSet.from(proxy.trustedProxies);
      if (sameSettings(allowlistSettings, config.allowlist)) return;
      allowlistSettings = config.allowlist;
      const next = buildAllowlist(config.allowlist);
      await next?.start();
      const previous = allowlist;
      allowlist = next;
      previous?.stop();
      log.info({ enabled: config.allowlist.enabled, prefixes: next?.prefixCount() }, 'allowlist settings applied');
    },
  };
}
