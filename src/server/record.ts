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

/** A destination of a delivery, as the log line names it: never an event's content. */
export interface DestinationLog {
  readonly name: string;
  /** Its answer; absent when nothing was sent to it (its events were duplicates or waited for). */
  readonly status: number | undefined;
  readonly delivered: number;
  readonly duplicate: number;
  readonly failed: number;
}

export interface RecordExtra {
  readonly upstreamSeconds?: number;
  readonly duplicate?: boolean;
  /** SPEC §9: where the events of a notification went. */
  readonly destinations?: readonly DestinationLog[];
  /** SPEC §9: why a POST to an event-reading app was forwarded whole (a reason code). */
  readonly unparsed?: string;
}

export interface RequestRecord {
  /** Set once the route stage has found the app. */
  app: string;
  /** The request ended with this status (the upstream's, or the gateway's own answer). */
  done(status: number, extra?: RecordExtra): void;
  /** Answer (or, for status 0, close) with a refusal and record it. */
  refuse(refusal: Refusal, closeConnection?: boolean, extra?: RecordExtra): void;
}

export function startRecord(
  log: Logger,
  metrics: Metrics,
  req: HubRequest,
  res: Responder,
  peer: { remote: string; cert: string | undefined },
): RequestRecord {
  const started = process.hrtime.bigint();
  const record = (status: number, refusal?: Refusal, extra: RecordExtra = {}) => {
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
      destinations: extra.destinations,
      unparsed: extra.unparsed,
    };
    if (refusal) log.warn(entry, 'request refused');
    else log.info(entry, 'request');
  };
  const rec: RequestRecord = {
    app: '',
    done: (status, extra) => record(status, undefined, extra),
    refuse(refusal, closeConnection = false, extra) {
      if (refusal.status === 0) res.destroy();
      else sendRefusal(res, refusal, closeConnection);
      record(refusal.status, refusal, extra);
    },
  };
  return rec;
}
