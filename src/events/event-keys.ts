// What hubgate reads inside one event (SPEC.md §8–§9): its phone number id for routing and, when
// Meta gives it one, its identity for dedupe. Everything else is validated and skipped.
//
// Conservative on ambiguity: a duplicate key on the routing path (`value`, `metadata`,
// `phone_number_id`) makes the body "not a notification" (forwarded whole: a guess could send
// one customer's event to another), and a duplicate or odd identity field makes the event fall
// back to the SHA-256 of its raw bytes (a guess could drop an event as a duplicate).
import type { JsonCursor } from './json.js';
import { notNotification } from './shape.js';

export interface NotificationEvent {
  /** [start, end) of the event object in the body. */
  readonly start: number;
  readonly end: number;
  /** Index of its entry. */
  readonly entry: number;
  /** WhatsApp: `value.metadata.phone_number_id`. */
  readonly phoneNumberId: string | undefined;
  /** Meta's own identity of the event, unambiguous; undefined → SHA-256 of the raw bytes. */
  readonly identity: string | undefined;
}

const KEY = {
  field: Buffer.from('field'),
  value: Buffer.from('value'),
  metadata: Buffer.from('metadata'),
  phoneNumberId: Buffer.from('phone_number_id'),
  messages: Buffer.from('messages'),
  statuses: Buffer.from('statuses'),
  id: Buffer.from('id'),
  status: Buffer.from('status'),
  message: Buffer.from('message'),
  mid: Buffer.from('mid'),
  isDeleted: Buffer.from('is_deleted'),
};

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/** The object at the cursor, contributing its string members `a` (and `b`) to `into`, in that
 *  order; false when it is not an object or one of them is missing, repeated or not a string. */
function readIds(c: JsonCursor, a: Buffer, b: Buffer | undefined, into: string[]): boolean {
  if (c.peek() !== OPEN_BRACE) {
    c.skipValue();
    return false;
  }
  let va: string | undefined;
  let vb: string | undefined;
  let ok = true;
  c.enterObject();
  for (let first = true; c.nextMember(first); first = false) {
    const isA = c.keyIs(a);
    if (!isA && (b === undefined || !c.keyIs(b))) c.skipValue();
    else if (c.peek() !== QUOTE || (isA ? va : vb) !== undefined) {
      ok = false;
      c.skipValue();
    } else if (isA) va = c.stringValue();
    else vb = c.stringValue();
  }
  if (!ok || va === undefined || (b !== undefined && vb === undefined)) return false;
  into.push(va);
  if (vb !== undefined) into.push(vb);
  return true;
}

/** `messages` / `statuses`: an array of objects, each contributing its ids (readIds). */
function readList(c: JsonCursor, a: Buffer, b: Buffer | undefined, into: string[]): boolean {
  if (c.peek() !== OPEN_BRACKET) {
    c.skipValue();
    return false;
  }
  let ok = true;
  c.enterArray();
  for (let first = true; c.nextElement(first); first = false) ok = readIds(c, a, b, into) && ok;
  return ok;
}

function readPhoneNumberId(c: JsonCursor): string | undefined {
  if (c.peek() !== OPEN_BRACE) {
    c.skipValue();
    return undefined;
  }
  let phone: string | undefined;
  c.enterObject();
  for (let first = true; c.nextMember(first); first = false) {
    if (!c.keyIs(KEY.phoneNumberId)) c.skipValue();
    else if (phone !== undefined) notNotification('duplicate_key');
    else if (c.peek() !== QUOTE) notNotification();
    else phone = c.stringValue();
  }
  return phone;
}

/** One element of `changes[]`: `{ field, value: { metadata, messages[], statuses[] } }`. */
export function readChange(c: JsonCursor, entry: number): NotificationEvent {
  const start = c.pos;
  let field: string | undefined;
  let phoneNumberId: string | undefined;
  let seenValue = false;
  let seenMetadata = false;
  let clear = true;
  const messages: string[] = [];
  const statuses: string[] = [];
  c.enterObject();
  for (let first = true; c.nextMember(first); first = false) {
    if (c.keyIs(KEY.field)) {
      if (field !== undefined || c.peek() !== QUOTE) clear = false;
      if (c.peek() === QUOTE) field = c.stringValue();
      else c.skipValue();
    } else if (c.keyIs(KEY.value)) {
      if (seenValue) notNotification('duplicate_key');
      seenValue = true;
      if (c.peek() !== OPEN_BRACE) {
        c.skipValue();
        continue;
      }
      let seenMessages = false;
      let seenStatuses = false;
      c.enterObject();
      for (let firstInValue = true; c.nextMember(firstInValue); firstInValue = false) {
        if (c.keyIs(KEY.metadata)) {
          if (seenMetadata) notNotification('duplicate_key');
          seenMetadata = true;
          phoneNumberId = readPhoneNumberId(c);
        } else if (c.keyIs(KEY.messages)) {
          const ok = readList(c, KEY.id, undefined, messages);
          clear = clear && ok && !seenMessages;
          seenMessages = true;
        } else if (c.keyIs(KEY.statuses)) {
          const ok = readList(c, KEY.id, KEY.status, statuses);
          clear = clear && ok && !seenStatuses;
          seenStatuses = true;
        } else c.skipValue();
      }
    } else c.skipValue();
  }
  const identified = clear && messages.length + statuses.length > 0;
  const identity = identified ? JSON.stringify(['c', field ?? null, messages, statuses]) : undefined;
  return { start, end: c.pos, entry, phoneNumberId, identity };
}

/** One element of `messaging[]`: `message.mid` identifies a message; other events have none. */
export function readMessaging(c: JsonCursor, entry: number): NotificationEvent {
  const start = c.pos;
  let mid: string | undefined;
  let clear = true;
  let seenMessage = false;
  c.enterObject();
  for (let first = true; c.nextMember(first); first = false) {
    if (!c.keyIs(KEY.message)) {
      c.skipValue();
      continue;
    }
    if (seenMessage || c.peek() !== OPEN_BRACE) clear = false;
    seenMessage = true;
    if (c.peek() !== OPEN_BRACE) {
      c.skipValue();
      continue;
    }
    c.enterObject();
    for (let firstInMessage = true; c.nextMember(firstInMessage); firstInMessage = false) {
      // Instagram's unsend notification repeats the deleted message's mid: not the same event.
      if (c.keyIs(KEY.isDeleted)) clear = false;
      if (c.keyIs(KEY.mid) && c.peek() === QUOTE) {
        if (mid !== undefined) clear = false;
        mid = c.stringValue();
      } else {
        if (c.keyIs(KEY.mid)) clear = false;
        c.skipValue();
      }
    }
  }
  const identity = clear && mid !== undefined ? JSON.stringify(['m', mid]) : undefined;
  return { start, end: c.pos, entry, phoneNumberId: undefined, identity };
}
