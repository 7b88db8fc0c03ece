// What every refusal and every request leaves behind: one log line (stage + reason code on a
// refusal) and the metrics. Never a secret, token, query string or body.
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import type { Refusal } from '../refusal.js';
import type { HubRequest, Responder } from '../http/exchange.js';
import { sendRefusal } from '../http/respond.js';
import { writeRequestLine } from './request-log.js';

/** Durations are logged to the µs: finer is noise, and the line writes them from integers (msText). */
const toMicroseconds = (ms: number): number => Math.round(ms * 1000) / 1000;

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

/** One request's record: a class rather than closures, one object per request. */
class Record implements RequestRecord {
  app = '';
  private readonly started = performance.now();

  constructor(
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly req: HubRequest,
    private readonly res: Responder,
    private readonly peer: { remote: string; cert: string | undefined },
  ) {}

  done(status: number, extra?: RecordExtra): void {
    this.record(status, undefined, extra);
  }

  refuse(refusal: Refusal, closeConnection = false, extra?: RecordExtra): void {
    if (refusal.status === 0) this.res.destroy();
    else sendRefusal(this.res, refusal, closeConnection);
    this.record(refusal.status, refusal, extra);
  }

  private record(status: number, refusal: Refusal | undefined, extra: RecordExtra = {}): void {
    this.metrics.requests.inc({ app: this.app, status: String(status) });
    if (refusal) this.metrics.reject(refusal);
    const url = this.req.url;
    const q = url.indexOf('?');
    const entry = {
      app: this.app || undefined,
      method: this.req.method,
      path: q === -1 ? url : url.slice(0, q), // the query can hold hub.verify_token: never logged
      status,
      stage: refusal?.stage,
      reason: refusal?.reason,
      detail: refusal?.detail,
      remote: this.peer.remote,
      cert: this.peer.cert,
      ms: toMicroseconds(performance.now() - this.started),
      upstreamMs: extra.upstreamSeconds === undefined ? undefined : toMicroseconds(extra.upstreamSeconds * 1000),
      duplicate: extra.duplicate,
    };
    if (extra.destinations === undefined && extra.unparsed === undefined) return writeRequestLine(this.log, refusal !== undefined, entry);
    const full = { ...entry, destinations: extra.destinations, unparsed: extra.unparsed };
    if (refusal) this.log.warn(full, 'request refused');
    else this.log.info(full, 'request');
  }
}

export function startRecord(
  log: Logger,
  metrics: Metrics,
  req: HubRequest,
  res: Responder,
  peer: { remote: string; cert: string | undefined },
): RequestRecord {
  return new Record(log, metrics, req, res, peer);
}
