// SPEC.md §9 "Bodies": rewritten bodies are raw slices of Meta's bytes, in original order.
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseNotification, rewrittenBody, signature, type Notification } from '../../src/events/index.js';
import { notification, whatsappChange, whatsappMessage, type Json } from '../helpers/meta-payloads.mjs';

function parsed(body: Buffer): Notification {
  const n = parseNotification(body);
  if ('unparsed' in n) throw new Error(n.unparsed);
  return n;
}

type Whole = { object: string; entry: Array<Record<string, unknown> & { changes?: unknown[]; messaging?: unknown[] }> };

/** What the rewritten body must read as: the original, keeping only the chosen events. */
function expected(body: Buffer, keep: ReadonlySet<number>): Whole {
  const whole = JSON.parse(body.toString()) as Whole;
  let i = 0;
  const entry = whole.entry.flatMap((e) => {
    const key = e.changes ? 'changes' : 'messaging';
    const kept = e[key]!.filter(() => keep.has(i++));
    return kept.length > 0 ? [{ ...e, [key]: kept }] : [];
  });
  return { ...whole, entry };
}

describe('rewritten bodies', () => {
  const body = Buffer.from(
    '{"object":"whatsapp_business_account","entry":[' +
      '{"id":"1","time":1700000000,"changes":[{"field":"messages","value":{"text":"caf\\u00e9 \\ud83d\\ude00 https:\\/\\/x.test\\/a","n":1.0e3}},{"field":"account_update","value":{"x":-0.50E+2}}]},' +
      '{"time":1700000001,"id":"2","changes":[{"field":"messages","value":{"k":"\\"q\\""}}]}' +
      ']}',
  );

  it('keeps each event and entry member byte for byte: \\u00e9, \\/, surrogate pairs, 1.0e3', () => {
    const out = rewrittenBody(parsed(body), [0, 2]).toString();
    expect(out).toBe(
      '{"object":"whatsapp_business_account","entry":[' +
        '{"id":"1","time":1700000000,"changes":[{"field":"messages","value":{"text":"caf\\u00e9 \\ud83d\\ude00 https:\\/\\/x.test\\/a","n":1.0e3}}]},' +
        '{"time":1700000001,"id":"2","changes":[{"field":"messages","value":{"k":"\\"q\\""}}]}' +
        ']}',
    );
  });

  it('drops an entry left without events for the destination', () => {
    expect(rewrittenBody(parsed(body), [1]).toString()).toBe(
      '{"object":"whatsapp_business_account","entry":[{"id":"1","time":1700000000,"changes":[{"field":"account_update","value":{"x":-0.50E+2}}]}]}',
    );
  });

  it('keeps members outside the entry array and Meta\'s whitespace around it', () => {
    const spaced = Buffer.from('{ "entry" : [ {"id":"1", "changes" : [ {"a":1} , {"b":2} ] } ] , "object" : "page" }\n');
    expect(rewrittenBody(parsed(spaced), [1]).toString()).toBe('{ "entry" : [{"id":"1", "changes" : [{"b":2}] }] , "object" : "page" }\n');
  });

  it('reads as the original minus the other events, for any subset', () => {
    const event = fc.oneof(
      fc.record({ phone: fc.string(), id: fc.string(), text: fc.string() }).map((o) => whatsappMessage({ phoneNumberId: o.phone, id: o.id, text: o.text })),
      fc.jsonValue().map((v) => whatsappChange('account_update', { v: v as Json })),
    );
    const entries = fc.array(fc.record({ id: fc.string({ minLength: 1 }), changes: fc.array(event, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(entries, fc.infiniteStream(fc.boolean()), (list, coins) => {
        const b = notification('whatsapp_business_account', list);
        const n = parsed(b);
        const keep = n.events.map((_, i) => i).filter(() => coins.next().value as boolean);
        fc.pre(keep.length > 0);
        const out = rewrittenBody(n, keep);
        expect(JSON.parse(out.toString())).toEqual(expected(b, new Set(keep)));
        for (const i of keep) expect(out.includes(b.subarray(n.events[i]!.start, n.events[i]!.end))).toBe(true);
        // Whatever is cut out, what remains is again a notification with exactly those events.
        expect(parsed(out).events).toHaveLength(keep.length);
      }),
      { numRuns: 300 },
    );
  });

  it('signs with X-Hub-Signature-256\'s format under the given secret', () => {
    const out = rewrittenBody(parsed(body), [0]);
    expect(signature(out, Buffer.from('tenant-secret'))).toBe('sha256=' + createHmac('sha256', 'tenant-secret').update(out).digest('hex'));
  });
});
