// Stage 4: optional host + longest path prefix, on segment boundaries (SPEC.md §2).
import type { AppConfig } from '../config/load.js';
import { refuse, type Refusal } from '../refusal.js';

export interface Routed {
  readonly app: AppConfig;
  /** The request path and query with the matched prefix replaced by the upstream's path. */
  readonly upstreamUrl: string;
}

export type Router = (host: string | undefined, url: string) => Routed | Refusal;

// A path the upstream might normalise differently from us (dot segments, encoded dots or
// slashes, empty segments, backslashes) could escape the route prefix after forwarding
// (`/webhooks/shop/../admin`). Also `..;` (Tomcat and Spring strip `;params` before resolving
// dot segments) and `%25` (an encoded `%`: `%252e%252e` is `..` to an app that decodes twice).
// Meta never sends one; refuse them rather than guess.
const NON_CANONICAL = /(^|\/)\.{1,2}(\/|;|$)|%2e|%2f|%5c|%25|\\|\/\//i;

function hostOnly(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function createRouter(apps: readonly AppConfig[]): Router {
  // Longest prefix first; host-specific before host-less at equal length.
  const ordered = [...apps].sort((a, b) => b.path.length - a.path.length || (b.host ? 1 : 0) - (a.host ? 1 : 0));
  return function route(hostHeader, url) {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (!path.startsWith('/') || NON_CANONICAL.test(path)) return refuse('path_not_canonical');
    const host = hostOnly(hostHeader);
    for (const app of ordered) {
      if (app.host !== undefined && app.host !== host) continue;
      if (app.path !== '' && path !== app.path && !path.startsWith(app.path + '/')) continue;
      const rest = path.slice(app.path.length) + (q === -1 ? '' : url.slice(q));
      const upstreamUrl = app.upstreamPath + rest;
      return { app, upstreamUrl: upstreamUrl.startsWith('/') ? upstreamUrl : '/' + upstreamUrl };
    }
    return refuse('route_not_found');
  };
}
