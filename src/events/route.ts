// SPEC.md §9 "Tenants": which destinations each event goes to. The more specific key wins: a
// tenant listing the event's phone number id, else one listing its entry id, else the app's own
// upstream; every fan-out destination gets every event. Built once per config.
import type { AppConfig, Destination } from '../config/load.js';
import { APP_UPSTREAM } from '../config/tenants.js';
import type { Notification } from './notification.js';

export interface Part {
  readonly destination: Destination;
  /** Indexes into the notification's events, in body order. */
  readonly events: readonly number[];
}

export type EventRouter = (n: Notification) => Part[];

/** The app's own upstream as a destination: required, signed with the app secret. */
export function appDestination(app: AppConfig): Destination {
  return {
    name: APP_UPSTREAM,
    upstream: app.upstream,
    upstreamOrigin: app.upstreamOrigin,
    upstreamPath: app.upstreamPath,
    required: true,
    signingSecret: undefined,
  };
}

export function createEventRouter(app: AppConfig): EventRouter {
  const routed: Destination[] = [appDestination(app), ...app.tenants];
  const byPhone = new Map<string, number>();
  const byEntry = new Map<string, number>();
  app.tenants.forEach((t, i) => {
    for (const id of t.phoneNumberIds) byPhone.set(id, i + 1);
    for (const id of t.entryIds) byEntry.set(id, i + 1);
  });
  return (n) => {
    const lists: number[][] = routed.map(() => []);
    n.events.forEach((e, i) => {
      const d = (e.phoneNumberId === undefined ? undefined : byPhone.get(e.phoneNumberId)) ?? byEntry.get(n.entries[e.entry]!.id) ?? 0;
      lists[d]!.push(i);
    });
    const parts: Part[] = [];
    lists.forEach((events, d) => {
      if (events.length > 0) parts.push({ destination: routed[d]!, events });
    });
    if (app.fanOut.length > 0 && n.events.length > 0) {
      const all = n.events.map((_, i) => i);
      for (const destination of app.fanOut) parts.push({ destination, events: all });
    }
    return parts;
  };
}

/** The request's path and query under a destination: the app's route prefix replaced by the
 *  destination's upstream path, as stage 9 does for the app's own upstream (SPEC.md §2). */
export function destinationUrl(app: AppConfig, upstreamUrl: string, destination: Destination): string {
  const rest = upstreamUrl.slice(app.upstreamPath.length);
  const url = destination.upstreamPath + rest;
  return url.startsWith('/') ? url : '/' + url;
}
