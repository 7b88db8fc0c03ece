// SPEC.md §9 "Parsing": what the gateway reads from a verified body, with byte offsets.
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseNotification, MAX_EVENTS, type Notification } from '../../src/events/notification.js';
import {
  messengerEvent, messengerMessage, notification, pageChange, whatsappChange, whatsappMessage, whatsappStatus,
  type Json,
} from '../helpers/meta-payloads.mjs';

// jsonc-parser (Microsoft's, dev dependency) as an independent witness of the offsets.
const { visit } = createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser');

function parsed(body: Buffer): Notification {
  const n = parseNotification(body);
  if ('unparsed' in n) throw new Error(`unparsed: ${n.unparsed}`);
  return n;
}

const slice = (n: Notification, start: number, end: number): string => n.body.toString('utf8', start, end);
const text = (s: string): Buffer => Buffer.from(s);

describe('WhatsApp notifications', () => {
  const body = notification('whatsapp_business_account', [
    {
      id: '102290129340398',
      changes: [
        whatsappMessage({ phoneNumberId: '106540352242922', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUNCMjY\/a==' }),
        whatsappStatus({ phoneNumberId: '106540352242923', id: 'wamid.S1', status: 'sent' }),
        whatsappChange('account_update', { phone_number: '15550001111', event: 'VERIFIED_ACCOUNT' }),
      ],
    },
    {
      id: '102290129340399',
      changes: [
        whatsappStatus({ phoneNumberId: '106540352242924', id: 'wamid.S1', status: 'delivered' }),
        whatsappChange('message_template_status_update', { event: 'APPROVED', message_template_id: 594425479261596, message_template_name: 'café' }),
      ],
    },
  ]);

  it('finds every event with its entry id, phone number id and raw bytes', () => {
    const n = parsed(body);
    expect(n.entries.map((e) => e.id)).toEqual(['102290129340398', '102290129340399']);
    expect(n.events.map((e) => [e.entry, e.phoneNumberId])).toEqual([
      [0, '106540352242922'],
      [0, '106540352242923'],
      [0, undefined],
      [1, '106540352242924'],
      [1, undefined],
    ]);
    const first = slice(n, n.events[0]!.start, n.events[0]!.end);
    expect(first.startsWith('{"value":')).toBe(true);
    expect(first).toContain('Zo\\u00eb'); // Meta's escaping, untouched
    expect(JSON.parse(first)).toEqual(JSON.parse(body.toString()).entry[0].changes[0]);
  });

  it('identifies messages by id and statuses by id + status, so sent and delivered differ', () => {
    const [message, sent, account, delivered, template] = parsed(body).events;
    expect(message!.identity).toBe(JSON.stringify(['c', 'messages', ['wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUNCMjY/a=='], []]));
    expect(sent!.identity).toBe(JSON.stringify(['c', 'messages', [], ['wamid.S1', 'sent']]));
    expect(delivered!.identity).toBe(JSON.stringify(['c', 'messages', [], ['wamid.S1', 'delivered']]));
    expect(account!.identity).toBeUndefined(); // no id: SHA-256 of its raw bytes
    expect(template!.identity).toBeUndefined();
  });

  it('records the entry and list brackets the rewritten bodies are cut from', () => {
    const n = parsed(body);
    expect(slice(n, n.entryOpen, n.entryOpen + 1)).toBe('[');
    expect(slice(n, n.entryClose, n.entryClose + 1)).toBe(']');
    for (const e of n.entries) {
      expect(slice(n, e.start, e.listOpen)).toMatch(/^\{.*"changes":$/);
      expect(slice(n, e.listClose, e.end)).toBe(']}');
    }
  });

  it('reads keys written with escapes as JSON.parse does', () => {
    const n = parsed(text('{"\\u006fbject":"whatsapp_business_account","entr\\u0079":[{"\\u0069d":"7","changes":[{"value":{"metadata":{"phone_number_\\u0069d":"5"}}}]}]}'));
    expect(n.entries[0]!.id).toBe('7');
    expect(n.events[0]!.phoneNumberId).toBe('5');
  });

  it('reads members in any order: entry before object, id after changes', () => {
    const n = parsed(text('{"entry":[{"changes":[{"field":"x","value":{}}],"time":1,"id":"9"}],"object":"page"}'));
    expect(n.entries[0]!.id).toBe('9');
    expect(n.events).toHaveLength(1);
  });
});

describe('Messenger, Instagram and Pages notifications', () => {
  it('identifies a Messenger message by its mid, and other messaging events by nothing', () => {
    const n = parsed(notification('page', [
      { id: '1234567890', messaging: [messengerMessage({ mid: 'm_AbC\/1' }), messengerEvent({ postback: { title: 'Start', payload: 'GO' } }), messengerEvent({ read: { watermark: 1 } })] },
    ]));
    expect(n.events.map((e) => e.identity)).toEqual([JSON.stringify(['m', 'm_AbC/1']), undefined, undefined]);
    expect(n.events.every((e) => e.phoneNumberId === undefined)).toBe(true);
  });

  it('does not take an Instagram unsend (same mid, is_deleted) for the message it deletes', () => {
    const n = parsed(notification('instagram', [{ id: '17841400000000001', messaging: [messengerEvent({ message: { mid: 'aWdfZAG', is_deleted: true } })] }]));
    expect(n.events[0]!.identity).toBeUndefined();
  });

  it('reads Pages and Instagram changes without an id of their own', () => {
    const n = parsed(notification('page', [{ id: '1353269864728879', changes: [pageChange('feed', { item: 'photo', verb: 'add', post_id: '1_2', message: 'This is am amazing Page!' })] }]));
    expect(n.events).toHaveLength(1);
    expect(n.events[0]!.identity).toBeUndefined();
  });

  it('accepts a notification with no events at all', () => {
    expect(parsed(text('{"object":"page","entry":[]}')).events).toEqual([]);
    expect(parsed(text('{"object":"page","entry":[{"id":"1","time":2,"messaging":[]}]}')).events).toEqual([]);
  });
});

describe('bodies that are not notifications', () => {
  const cases: Array<[string, string, string]> = [
    ['invalid JSON', '{"object":"page","entry":[}', 'invalid_json'],
    ['trailing garbage', '{"object":"page","entry":[]}x', 'invalid_json'],
    ['an empty body', '', 'invalid_json'],
    ['a JSON array', '[{"object":"page","entry":[]}]', 'not_a_notification'],
    ['no object', '{"entry":[]}', 'not_a_notification'],
    ['no entry', '{"object":"page"}', 'not_a_notification'],
    ['object not a string', '{"object":1,"entry":[]}', 'not_a_notification'],
    ['entry not an array', '{"object":"page","entry":{}}', 'not_a_notification'],
    ['an entry that is not an object', '{"object":"page","entry":[1]}', 'not_a_notification'],
    ['an entry without id', '{"object":"page","entry":[{"changes":[]}]}', 'not_a_notification'],
    ['an entry id that is a number', '{"object":"page","entry":[{"id":17841400000000001,"changes":[]}]}', 'not_a_notification'],
    ['an entry with neither changes nor messaging', '{"object":"user","entry":[{"id":"1","changed_fields":["photos"]}]}', 'not_a_notification'],
    ['an entry with both changes and messaging', '{"object":"page","entry":[{"id":"1","changes":[],"messaging":[]}]}', 'not_a_notification'],
    ['an event that is not an object', '{"object":"page","entry":[{"id":"1","changes":["x"]}]}', 'not_a_notification'],
    ['a phone number id that is not a string', '{"object":"w","entry":[{"id":"1","changes":[{"value":{"metadata":{"phone_number_id":5}}}]}]}', 'not_a_notification'],
    ['a duplicate object', '{"object":"page","object":"user","entry":[]}', 'duplicate_key'],
    ['a duplicate entry', '{"object":"page","entry":[],"entry":[]}', 'duplicate_key'],
    ['a duplicate entry id', '{"object":"page","entry":[{"id":"1","id":"2","changes":[]}]}', 'duplicate_key'],
    ['a duplicate changes', '{"object":"page","entry":[{"id":"1","changes":[],"changes":[]}]}', 'duplicate_key'],
    ['a duplicate value', '{"object":"w","entry":[{"id":"1","changes":[{"value":{},"value":{}}]}]}', 'duplicate_key'],
    ['a duplicate metadata', '{"object":"w","entry":[{"id":"1","changes":[{"value":{"metadata":{},"metadata":{}}}]}]}', 'duplicate_key'],
    ['a duplicate phone_number_id', '{"object":"w","entry":[{"id":"1","changes":[{"value":{"metadata":{"phone_number_id":"1","phone_number_id":"2"}}}]}]}', 'duplicate_key'],
  ];
  for (const [what, body, reason] of cases) {
    it(`says why for ${what}: ${reason}`, () => {
      expect(parseNotification(text(body))).toEqual({ unparsed: reason });
    });
  }

  it('gives up beyond MAX_EVENTS events', () => {
    const events = Array.from({ length: MAX_EVENTS + 1 }, () => '{}').join(',');
    expect(parseNotification(text(`{"object":"page","entry":[{"id":"1","changes":[${events}]}]}`))).toEqual({ unparsed: 'too_many_events' });
  });
});

describe('ambiguous identities fall back to the raw bytes', () => {
  const change = (value: string): Buffer => text(`{"object":"w","entry":[{"id":"1","changes":[{"field":"messages","value":${value}}]}]}`);
  for (const [what, value] of [
    ['a message with two ids', '{"messages":[{"id":"a","id":"b"}]}'],
    ['a message without id', '{"messages":[{"from":"1"}]}'],
    ['a message id that is a number', '{"messages":[{"id":1}]}'],
    ['a status without status', '{"statuses":[{"id":"a"}]}'],
    ['messages listed twice', '{"messages":[{"id":"a"}],"messages":[{"id":"b"}]}'],
  ] as const) {
    it(what, () => {
      expect(parsed(change(value)).events[0]!.identity).toBeUndefined();
    });
  }

  it('a field listed twice', () => {
    const n = parsed(text('{"object":"w","entry":[{"id":"1","changes":[{"field":"a","field":"b","value":{"messages":[{"id":"x"}]}}]}]}'));
    expect(n.events[0]!.identity).toBeUndefined();
  });

  it('a Messenger message with two mids', () => {
    const n = parsed(text('{"object":"page","entry":[{"id":"1","messaging":[{"message":{"mid":"a","mid":"b"}}]}]}'));
    expect(n.events[0]!.identity).toBeUndefined();
  });
});

describe('offsets, against JSON.parse and jsonc-parser', () => {
  const event = fc.oneof(
    fc.record({ phone: fc.constantFrom('1', '2', '3'), id: fc.string() }).map(({ phone, id }) => whatsappMessage({ phoneNumberId: phone, id })),
    fc.record({ phone: fc.constantFrom('1', '2'), id: fc.string(), status: fc.constantFrom('sent', 'read') }).map((o) => whatsappStatus({ phoneNumberId: o.phone, id: o.id, status: o.status })),
    fc.jsonValue().map((value) => whatsappChange('account_update', { value: value as Json })),
  );
  const body = fc
    .array(fc.record({ id: fc.string({ minLength: 1 }), changes: fc.array(event, { maxLength: 5 }) }), { maxLength: 5 })
    .map((entries) => notification('whatsapp_business_account', entries));

  it('slices each event exactly where jsonc-parser sees its object, and as JSON.parse reads it', () => {
    fc.assert(
      fc.property(body, (b) => {
        const n = parsed(b);
        const whole = JSON.parse(b.toString()) as { entry: Array<{ id: string; changes: unknown[] }> };
        expect(n.events.map((e) => JSON.parse(slice(n, e.start, e.end)))).toEqual(whole.entry.flatMap((e) => e.changes));
        expect(n.entries.map((e) => e.id)).toEqual(whole.entry.map((e) => e.id));
        // Meta's bodies are ASCII (non-ASCII is escaped), so character offsets are byte offsets.
        const objects: Array<[number, number]> = [];
        const depth: number[] = [];
        visit(b.toString('latin1'), {
          onObjectBegin: (offset) => void depth.push(offset),
          onObjectEnd: (offset, length) => {
            const start = depth.pop()!;
            if (depth.length === 2) objects.push([start, offset + length]); // top → entry → event
          },
        }, { disallowComments: true });
        expect(n.events.map((e) => [e.start, e.end])).toEqual(objects);
      }),
      { numRuns: 300 },
    );
  });
});
