// What every refusal and every request leaves behind: one log line (stage + reason code on a
// refusal) and the metrics. Never a secret, token, query string or body.
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import type { Refusal } from '../refusal.js';
import type { HubRequest, Responder } from '../http/exchange.js';
import { sendRefusal } from '../http/respond.js';

/** A connection closed at stage 1, 2, 3 or 3b: counted, and logged with its reason. */
export function reportConnectionRefusal(log: Logger, metrics: Metrics, refusal: Refusal, remote: string): void {
  metrics.reject(refusal);
  log.warn({ stage: refusal.stage, reason: refusal.reason, detail: refusal.detail, remote }, 'connection refused');
}

export interface RequestRecord {
  /** Set once the route stage has found the app. */
  app: string;
  /** The request ended with this status (the upstream's, or the gateway's own answer). */
  done(status: number, extra?: { upstreamSeconds?: number; duplicate?: boolean }): void;
  /** Answer (or, for status 0, close) with a refusal and record it. */
  refuse(refusal: Refusal, closeConnection?: boolean): void;
}

export function startRecord(
  log: Logger,
  metrics: Metrics,
  req: HubRequest,
  res: Responder,
  peer: { remote: string; cert: string | undefined },
): RequestRecord {
  const started = process.hrtime.bigint();
  const record = (status: number, refusal?: Refusal, extra: { upstreamSeconds?: number; duplicate?: boolean } = {}) => {
    metrics.requests.inc({ app: rec.app, status: String(status) });
    if (refusal) metrics.reject(refusal);
    const q = req.url.indexOf('?');
    const entry = {
      app: rec.app || undefined,
      method: req.method,
      path: q === -1 ? req.url : req.url.slice(0, q), // the query can hold hub.verify_token: never logged
      status,
      stage: refusal?.stage,
      reason: refusal?.reason,
      detail: refusal?.detail,
      remote: peer.remote,
      cert: peer.cert,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
      upstreamMs: extra.upstreamSeconds === undefined ? undefined : extra.upstreamSeconds * 1000,
      duplicate: extra.duplicate,
    };
    if (refusal) log.warn(entry, 'request refused');
    else log.info(entry, 'request');
  };
  const rec: RequestRecord = {
    app: '',
    done: (status, extra) => record(status, undefined, extra),
    refuse(refusal, closeConnection = false) {
      if (refusal.status === 0) res.destroy();
      else sendRefusal(res, refusal, closeConnection);
      record(refusal.status, refusal);
    },
  };
  return rec;
}
