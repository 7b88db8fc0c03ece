// SPEC.md §9 "Parsing": a verified body read as a Meta notification — `object`, `entry[]`, each
// entry with `id` and either `changes[]` (WhatsApp, Pages, Instagram) or `messaging[]`
// (Messenger, Instagram messaging) — recording byte offsets only. Each element of
// `changes`/`messaging` is one event; nothing is ever re-serialized.
import { INVALID, JsonCursor, isValidJson } from './json.js';
import { readChange, readMessaging, type NotificationEvent } from './event-keys.js';
import { NotANotification, notNotification, type UnparsedReason } from './shape.js';

export type { UnparsedReason } from './shape.js';

export interface NotificationEntry {
  /** [start, end) of the entry object. */
  readonly start: number;
  readonly end: number;
  /** Offsets of the `[` and `]` of its `changes`/`messaging` array. */
  readonly listOpen: number;
  readonly listClose: number;
  /** The entry `id` (WABA, Page or Instagram account id). */
  readonly id: string;
}

export type { NotificationEvent } from './event-keys.js';

export interface Notification {
  readonly body: Buffer;
  /** Offsets of the `[` and `]` of the top-level `entry` array. */
  readonly entryOpen: number;
  readonly entryClose: number;
  readonly entries: readonly NotificationEntry[];
  /** Every event, in body order. */
  readonly events: readonly NotificationEvent[];
}

export interface Unparsed {
  readonly unparsed: UnparsedReason;
}

/** Meta batches at most 1000 updates per POST; far beyond that the body is forwarded whole. */
export const MAX_EVENTS = 10_000;

const KEY = {
  object: Buffer.from('object'),
  entry: Buffer.from('entry'),
  id: Buffer.from('id'),
  changes: Buffer.from('changes'),
  messaging: Buffer.from('messaging'),
};

/** Reads `body` (one contiguous buffer) as a notification, or says why it is not one. */
export function parseNotification(body: Buffer): Notification | Unparsed {
  const c = new JsonCursor(body);
  try {
    const parsed = readTop(c, body);
    c.end();
    return parsed ?? { unparsed: 'not_a_notification' };
  } catch (err) {
    if (err === INVALID) return { unparsed: 'invalid_json' };
    if (err instanceof NotANotification) {
      // Validity still decides the reason: an operator should see invalid JSON as such.
      return isValidJson(c.buf) ? { unparsed: err.reason } : { unparsed: 'invalid_json' };
    }
    throw err;
  }
}


function readTop(c: JsonCursor, body: Buffer): Notification | undefined {
  if (c.peek() !== 0x7b) {
    c.skipValue();
    return undefined;
  }
  let hasObject = false;
  let entryOpen = -1;
  let entryClose = -1;
  const entries: NotificationEntry[] = [];
  const events: NotificationEvent[] = [];
  c.enterObject();
  for (let first = true; c.nextMember(first); first = false) {
    if (c.keyIs(KEY.object)) {
      if (hasObject) notNotification('duplicate_key');
      if (c.peek() !== 0x22) notNotification();
      c.string();
      hasObject = true;
    } else if (c.keyIs(KEY.entry)) {
      if (entryOpen !== -1) notNotification('duplicate_key');
      if (c.peek() !== 0x5b) notNotification();
      entryOpen = c.pos;
      c.enterArray();
      for (let firstEntry = true; c.nextElement(firstEntry); firstEntry = false) readEntry(c, entries, events);
      entryClose = c.pos - 1;
    } else c.skipValue();
  }
  return hasObject && entryOpen !== -1 ? { body, entryOpen, entryClose, entries, events } : undefined;
}

function readEntry(c: JsonCursor, entries: NotificationEntry[], events: NotificationEvent[]): void {
  if (c.peek() !== 0x7b) notNotification();
  const start = c.pos;
  const index = entries.length;
  let id: string | undefined;
  let listKey: Buffer | undefined;
  let listOpen = -1;
  let listClose = -1;
  c.enterObject();
  for (let first = true; c.nextMember(first); first = false) {
    if (c.keyIs(KEY.id)) {
      if (id !== undefined) notNotification('duplicate_key');
      // A string, as Meta sends it: a number could not be matched exactly beyond 2^53.
      if (c.peek() !== 0x22) notNotification();
      id = c.stringValue();
    } else if (c.keyIs(KEY.changes) || c.keyIs(KEY.messaging)) {
      // Both lists in one entry, or one twice: which events are whose would be a guess.
      const key = c.keyIs(KEY.changes) ? KEY.changes : KEY.messaging;
      if (listKey !== undefined) notNotification(listKey === key ? 'duplicate_key' : 'not_a_notification');
      if (c.peek() !== 0x5b) notNotification();
      listKey = key;
      const read = key === KEY.changes ? readChange : readMessaging;
      listOpen = c.pos;
      c.enterArray();
      for (let firstEl = true; c.nextElement(firstEl); firstEl = false) {
        if (c.peek() !== 0x7b) notNotification();
        if (events.length === MAX_EVENTS) notNotification('too_many_events');
        events.push(read(c, index));
      }
      listClose = c.pos - 1;
    } else c.skipValue();
  }
  if (id === undefined || listOpen === -1) notNotification();
  entries.push({ start, end: c.pos, listOpen, listClose, id });
}
