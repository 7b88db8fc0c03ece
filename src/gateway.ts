// Builds the gateway from a Config and wires the stages of SPEC.md §2 in order. Reads top to
// bottom like the table: address → chain → identity → certificate → route → method →
// verify-token → body → signature → forward. Listeners and lifecycle live in server/.
import type { TLSSocket } from 'node:tls';
import type { Config } from './config/load.js';
import { isRefusal, refuse, type Refusal } from './refusal.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './admin/metrics.js';
import { createIdentityChecker, type PeerIdentity } from './tls/identity.js';
import { createRouter, type Router } from './pipeline/route.js';
import { requireCertificate } from './pipeline/certificate.js';
import { checkMethod } from './pipeline/method.js';
import { verifyToken } from './pipeline/verify-token.js';
import { readBody, type Body } from './pipeline/body.js';
import { startHmacs, checkSignature } from './pipeline/signature.js';
import { outboundRequest, type ForwardContext, type Forwarder, type Forwarded } from './pipeline/forward.js';
import { createUpstreamClient } from './upstream/client.js';
import type { HubRequest, Responder } from './http/exchange.js';
import { createDedupeStores, createDedupers, deduplicate, type DedupeStores } from './pipeline/dedupe.js';
import type { Deduper } from './dedupe/index.js';
import { createEventReaders, forwardEvents, readNotification, type EventReader } from './pipeline/events.js';
import { sendChallenge, sendDuplicate } from './http/respond.js';
import { reportConnectionRefusal, startRecord, type RequestRecord } from './server/record.js';
import { createListeners, type Listeners, type Admission } from './server/listeners.js';
import { configExpiries, warnExpiring } from './server/expiry.js';
import { createAdmission, type ConfigurableAdmission } from './server/admission.js';

/** Everything derived from one Config. Swapped atomically on reload: a request runs to its end
 *  on the state it started with; the next request, even on an older keep-alive connection,
 *  gets the new one, and older connections are closed after it (see onRequest). */
export interface GatewayState {
  readonly config: Config;
  readonly router: Router;
  readonly checkIdentity: ReturnType<typeof createIdentityChecker>;
  /** By app name, for apps with `dedupe.enabled` (SPEC §8). */
  readonly dedupers: ReadonlyMap<string, Deduper>;
  /** By app name: the apps that read Meta events (SPEC §9), i.e. those with dedupe. */
  readonly events: ReadonlyMap<string, EventReader>;
}

export interface Connection {
  readonly socket: TLSSocket;
  /** The state the TLS handshake and identity check ran under. */
  readonly state: GatewayState;
  readonly peer: PeerIdentity | null;
  readonly clientAddress: string;
}

export interface GatewayOptions {
  logger?: Logger;
  metrics?: Metrics;
  /** Stage 1; default: PROXY protocol and the allowlist as the config says. */
  admission?: Admission | ConfigurableAdmission;
  /** false in cluster workers (the primary serves /healthz, /readyz, /metrics). */
  admin?: boolean;
}

export function buildState(config: Config, stores: DedupeStores, log: Logger, metrics: Metrics): GatewayState {
  const dedupers = createDedupers(config.apps, stores, log, metrics, config.limits.upstreamTimeoutMs);
  return {
    config,
    router: createRouter(config.apps),
    checkIdentity: createIdentityChecker(config.clientAuth),
    dedupers,
    events: createEventReaders(config.apps, dedupers),
  };
}

export function createGateway(initial: Config, options: GatewayOptions = {}) {
  const log = options.logger ?? createLogger(initial.log.level);
  const metrics = options.metrics ?? createMetrics();
  const stores = createDedupeStores(log);
  const admission = options.admission ?? createAdmission(initial, log, metrics);
  let state = buildState(initial, stores, log, metrics);
  // One keep-alive pool to the upstreams for the gateway's lifetime, across reloads.
  const forwarder: Forwarder = createUpstreamClient();

  const warnedClientCerts = new Set<string>();
  function noteClientCertificate(peer: PeerIdentity): void {
    metrics.clientCertExpiry.set(peer.notAfter.getTime() / 1000);
    if (warnedClientCerts.has(peer.fingerprint) || warnedClientCerts.size > 1000) return;
    warnedClientCerts.add(peer.fingerprint);
    warnExpiring([{ what: 'client certificate presented by Meta', subject: `CN=${peer.commonName}`, notAfter: peer.notAfter }], log);
  }
  // Certificates expire while the process runs: look again once a day.
  let expiryTimer: NodeJS.Timeout | undefined;

  /** Stages 2–3, on `secureConnection`, before the HTTP parser reads a byte. */
  function onSecureConnection(socket: TLSSocket, clientAddress: string): Connection | null {
    const verdict = state.checkIdentity(socket);
    if (isRefusal(verdict)) {
      reportConnectionRefusal(log, metrics, verdict, clientAddress);
      return null;
    }
    if (verdict === null && !state.config.clientAuth.verificationWithoutCertificate) {
      reportConnectionRefusal(log, metrics, refuse('no_certificate'), clientAddress);
      return null;
    }
    if (verdict) noteClientCertificate(verdict);
    return { socket, state, peer: verdict, clientAddress };
  }

  /** A request on a keep-alive connection accepted before a reload: it is served under the new
   *  config (a rotated secret or a new app applies at once), its certificate is judged again by
   *  the new identity policy, and the connection closes after it, so the client's next
   *  handshake meets the new server certificate and trust anchors. */
  function carriedOver(res: Responder, accepted: Connection, current: GatewayState): Connection | null {
    res.closeAfter();
    if (accepted.peer === null) return { ...accepted, state: current };
    const verdict = current.checkIdentity(accepted.socket);
    if (verdict === null || isRefusal(verdict)) {
      reportConnectionRefusal(log, metrics, verdict ?? refuse('no_certificate'), accepted.clientAddress);
      accepted.socket.destroy();
      return null;
    }
    return { ...accepted, state: current, peer: verdict };
  }

  /** Stage 9 for a body forwarded whole: once per body among everyone sharing the dedupe store
   *  when the app asks for it. */
  async function deliver(rec: RequestRecord, res: Responder, deduper: Deduper | undefined, body: Body, forward: () => Promise<Forwarded | Refusal>, unparsed?: string): Promise<void> {
    let forwarded: Forwarded | Refusal;
    if (deduper) {
      const once = await deduplicate(deduper, rec.app, body.chunks, forward);
      if (once.kind === 'refused') return rec.refuse(once.refusal, false, { unparsed });
      if (once.kind === 'duplicate') {
        metrics.duplicates.inc({ app: rec.app });
        sendDuplicate(res);
        return rec.done(200, { duplicate: true, unparsed });
      }
      forwarded = once.result;
    } else {
      forwarded = await forward();
    }
    if (isRefusal(forwarded)) return rec.refuse(forwarded, false, { unparsed });
    metrics.upstreamDuration.observe({ app: rec.app }, forwarded.upstreamSeconds);
    rec.done(forwarded.status, { upstreamSeconds: forwarded.upstreamSeconds, unparsed });
  }

  /** Stage 9: a notification's events go to their destinations (SPEC §8–§9); any other body
   *  goes whole to the app's upstream, and is counted when the app reads events. */
  async function forwardStage(rec: RequestRecord, req: HubRequest, res: Responder, current: GatewayState, context: ForwardContext): Promise<void> {
    const isPost = req.method === 'POST';
    const reader = isPost ? current.events.get(rec.app) : undefined;
    let unparsed: string | undefined;
    if (reader) {
      const notification = readNotification(context.body);
      if (notification !== 'no_events' && !('unparsed' in notification)) {
        return forwardEvents({ req, res, rec, context, notification, reader, forwarder, metrics });
      }
      if (notification !== 'no_events') {
        unparsed = notification.unparsed;
        metrics.eventsUnparsed.inc({ app: rec.app });
      }
    }
    const outbound = outboundRequest(req, context);
    const deduper = isPost ? current.dedupers.get(rec.app) : undefined;
    await deliver(rec, res, deduper, context.body, () => forwarder.send(outbound, res, context.upstreamTimeoutMs), unparsed);
  }

  /** Stages 3b–9 for one request on an accepted connection. */
  async function onRequest(req: HubRequest, res: Responder, accepted: Connection): Promise<void> {
    const current = state;
    const conn = accepted.state === current ? accepted : carriedOver(res, accepted, current);
    if (conn === null) return;
    const { limits } = current.config;
    const { method, url } = req;
    const rec = startRecord(log, metrics, req, res, { remote: conn.clientAddress, cert: conn.peer?.fingerprint });

    const needsCert = requireCertificate(conn.peer, method, url); // 3b
    if (needsCert) return rec.refuse(needsCert);
    const routed = current.router(req.header('host'), url); // 4
    if (isRefusal(routed)) return rec.refuse(routed);
    rec.app = routed.app.name;
    const badMethod = checkMethod(method); // 5
    if (badMethod) return rec.refuse(badMethod);
    const verification = verifyToken(method, url, routed.app.verifyToken); // 6
    if (isRefusal(verification)) return rec.refuse(verification);
    if (verification) {
      sendChallenge(res, verification.challenge);
      return rec.done(200);
    }
    const isPost = method === 'POST';
    const body = await readBody(req, limits.maxBodyBytes, isPost ? startHmacs(routed.app.secrets) : []); // 7
    if (isRefusal(body)) return rec.refuse(body, true);
    if (isPost) {
      const badSignature = checkSignature(req.header('x-hub-signature-256'), body.digests); // 8
      if (badSignature) return rec.refuse(badSignature);
    }
    const context = { routed, body, peer: conn.peer, clientAddress: conn.clientAddress, upstreamTimeoutMs: limits.upstreamTimeoutMs };
    await forwardStage(rec, req, res, current, context); // 9
  }

  const listeners: Listeners = createListeners({
    getState: () => state,
    log,
    metrics,
    admission,
    admin: options.admin,
    ticketKeysFromPrimary: options.admin === false,
    onSecureConnection,
    onRequest,
  });

  return {
    log,
    metrics,
    get config(): Config {
      return state.config;
    },
    async start(): Promise<void> {
      await stores.ready(state.config.apps);
      await listeners.start();
      warnExpiring(configExpiries(state.config), log);
      expiryTimer = setInterval(() => warnExpiring(configExpiries(state.config), log), 86_400_000).unref();
    },
    address: () => listeners.address(),
    setTicketKeys: (keys: readonly Buffer[]) => listeners.setTicketKeys(keys),
    adminAddress: () => listeners.adminAddress(),
    /** Swap to a new, already validated Config: new connections get it, old ones finish on theirs. */
    reload(next: Config): void {
      state = buildState(next, stores, log, metrics);
      listeners.applyConfig(next);
      // Older keep-alive connections are not cut while idle (a request may be on its way, and
      // the client would see a reset): each closes after its next response instead.
      if ('applyConfig' in admission) {
        (admission as ConfigurableAdmission).applyConfig(next).catch((err: Error) => log.error({ err: err.message }, 'allowlist reload failed'));
      }
      log.level = next.log.level;
      warnExpiring(configExpiries(next), log);
    },
    /** null when ready to take traffic, else why not. */
    notReadyReason: () => listeners.notReadyReason(),
    async stop(graceMs?: number): Promise<void> {
      clearInterval(expiryTimer);
      await listeners.stop(graceMs);
      await forwarder.close();
      await stores.close();
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
