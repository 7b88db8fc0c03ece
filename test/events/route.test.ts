// SPEC.md §9 "Tenants": the more specific key wins; fan-out gets everything.
import { describe, expect, it } from 'vitest';
import { createEventRouter, destinationUrl, parseNotification, type Notification } from '../../src/events/index.js';
import { notification, whatsappChange, whatsappMessage, whatsappStatus, messengerMessage } from '../helpers/meta-payloads.mjs';
import { appWith, fanOut, tenant } from './fixtures.js';

function parsed(body: Buffer): Notification {
  const n = parseNotification(body);
  if ('unparsed' in n) throw new Error(n.unparsed);
  return n;
}

// Two WABAs, three phone numbers, plus a WABA-level change and an unknown WABA.
const body = notification('whatsapp_business_account', [
  {
    id: 'waba-1',
    changes: [
      whatsappMessage({ phoneNumberId: 'phone-a', id: 'wamid.1' }),
      whatsappMessage({ phoneNumberId: 'phone-b', id: 'wamid.2' }),
      whatsappChange('account_update', { event: 'VERIFIED_ACCOUNT' }),
    ],
  },
  { id: 'waba-2', changes: [whatsappStatus({ phoneNumberId: 'phone-c', id: 'wamid.3', status: 'read' }), whatsappChange('message_template_status_update', { event: 'APPROVED' })] },
  { id: 'waba-9', changes: [whatsappMessage({ phoneNumberId: 'phone-z', id: 'wamid.4' })] },
]);

const routes = (parts: ReturnType<ReturnType<typeof createEventRouter>>) => parts.map((p) => [p.destination.name, p.events]);

describe('event routing', () => {
  it('sends an event to the tenant listing its phone number, before the one listing its entry id', () => {
    const app = appWith([
      tenant('acme', { phoneNumberIds: ['phone-a'] }),
      tenant('waba-owner', { entryIds: ['waba-1'] }),
      tenant('globex', { phoneNumberIds: ['phone-c'], entryIds: ['waba-2'] }),
    ]);
    expect(routes(createEventRouter(app)(parsed(body)))).toEqual([
      ['upstream', [5]],
      ['acme', [0]],
      ['waba-owner', [1, 2]],
      ['globex', [3, 4]],
    ]);
  });

  it('sends every event to the app upstream when no tenant matches', () => {
    expect(routes(createEventRouter(appWith([tenant('acme', { phoneNumberIds: ['other'] })]))(parsed(body)))).toEqual([['upstream', [0, 1, 2, 3, 4, 5]]]);
  });

  it('routes Messenger events by the entry (Page) id', () => {
    const n = parsed(notification('page', [{ id: 'page-1', messaging: [messengerMessage({ mid: 'm1' })] }, { id: 'page-2', messaging: [messengerMessage({ mid: 'm2' })] }]));
    expect(routes(createEventRouter(appWith([tenant('shop-2', { entryIds: ['page-2'] })]))(n))).toEqual([
      ['upstream', [0]],
      ['shop-2', [1]],
    ]);
  });

  it('adds every event for every fan-out destination, after the tenants', () => {
    const app = appWith([tenant('acme', { entryIds: ['waba-2'] })], [fanOut('analytics', false), fanOut('migration', true)]);
    expect(routes(createEventRouter(app)(parsed(body)))).toEqual([
      ['upstream', [0, 1, 2, 5]],
      ['acme', [3, 4]],
      ['analytics', [0, 1, 2, 3, 4, 5]],
      ['migration', [0, 1, 2, 3, 4, 5]],
    ]);
  });

  it('maps the request path under each destination\'s upstream path', () => {
    const app = appWith([tenant('acme', { entryIds: ['x'] })]);
    expect(destinationUrl(app, '/hook/x?y=1', app.tenants[0]!)).toBe('/acme/x?y=1');
    expect(destinationUrl(app, '/hook', app.tenants[0]!)).toBe('/acme');
    expect(destinationUrl({ ...app, upstreamPath: '' }, '/?a=b', { ...app.tenants[0]!, upstreamPath: '' })).toBe('/?a=b');
  });
});
