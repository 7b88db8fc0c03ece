// Notification bodies shaped like Meta's documented examples, serialized the way Meta sends
// them: compact, non-ASCII as `\uXXXX` (surrogate pairs beyond the BMP) and `/` as `\/`.
// Plain JavaScript (types in meta-payloads.d.mts) so bench/ scripts can import it as they are.
//
//   whatsappMessage({ phoneNumberId, id })      one `changes[]` element (field "messages")
//   whatsappStatus({ phoneNumberId, id, status })
//   whatsappChange(field, value)                 account_update, message_template_status_update…
//   messengerMessage({ mid }) / messengerEvent(extra)   one `messaging[]` element
//   pageChange(field, value)                     a Pages / Instagram `changes[]` element
//   notification(object, entries) → Buffer       { object, entry: [...] } as Meta serializes it
//   whatsappDelivery(…) / whatsappBatch(…)       the two benchmark payloads; tenantIds(i)

/** JSON.stringify, then Meta's escaping: every non-ASCII UTF-16 unit as \uXXXX, `/` as `\/`. */
export function metaJson(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]|\//g, (ch) =>
    ch === '/' ? '\\/' : '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

export function notification(object, entries) {
  return Buffer.from(metaJson({ object, entry: entries.map((e) => ({ time: 1_700_000_000, ...e })) }));
}

const metadata = (phoneNumberId) => ({ display_phone_number: '15550001111', phone_number_id: phoneNumberId });

export function whatsappMessage({ phoneNumberId, id, text, from = '16505551234' }) {
  return {
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(phoneNumberId),
      contacts: [{ profile: { name: 'Zoë Ünal' }, wa_id: from }],
      messages: [{ from, id, timestamp: '1749416383', type: 'text', text: { body: text ?? 'Olá! café ☕ 👍 https://example.com/a/b' } }],
    },
    field: 'messages',
  };
}

export function whatsappStatus({ phoneNumberId, id, status }) {
  return {
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(phoneNumberId),
      statuses: [{ id, status, timestamp: '1749416390', recipient_id: '16505551234' }],
    },
    field: 'messages',
  };
}

export function whatsappChange(field, value) {
  return { value, field };
}

export function messengerMessage({ mid, text, page = '1234567890' }) {
  return {
    sender: { id: '6789012345' },
    recipient: { id: page },
    timestamp: 1_700_000_000_123,
    message: { mid, text: text ?? 'Bonjour, ça va ? 😀' },
  };
}

export function messengerEvent(extra) {
  return { sender: { id: '6789012345' }, recipient: { id: '1234567890' }, timestamp: 1_700_000_000_456, ...extra };
}

export function pageChange(field, value) {
  return { field, value };
}

/** Tenant i of the benchmark scenarios: its phone number id and its WABA id. */
export function tenantIds(i) {
  const n = String(i).padStart(2, '0');
  return { phoneNumberId: `10654000000000${n}`, wabaId: `10200000000000${n}` };
}

/** A WhatsApp `messages` delivery of about `bytes` bytes (default 1024): one event. */
export function whatsappDelivery({ wabaId, phoneNumberId, id, bytes = 1024 }) {
  const build = (text) =>
    notification('whatsapp_business_account', [{ id: wabaId, changes: [whatsappMessage({ phoneNumberId, id, text })] }]);
  const pad = Math.max(0, bytes - build('').length);
  let text = '';
  while (metaJson(text + 'Olá café ☕ ').length - 2 <= pad) text += 'Olá café ☕ ';
  return build(text + 'x'.repeat(Math.max(0, pad - (metaJson(text).length - 2))));
}

/** `events` WhatsApp events (messages and `delivered` statuses alternating) spread round-robin
 *  over `tenants` tenants, one entry per tenant's WABA (tenantIds). `seed` varies the ids. */
export function whatsappBatch({ events, tenants, seed = 'b' }) {
  const entries = Array.from({ length: tenants }, (_, i) => ({ id: tenantIds(i).wabaId, changes: [] }));
  for (let n = 0; n < events; n++) {
    const t = n % tenants;
    const { phoneNumberId } = tenantIds(t);
    const id = `wamid.${seed}${n.toString(36).padStart(6, '0')}==`;
    entries[t].changes.push(n % 2 === 0 ? whatsappMessage({ phoneNumberId, id }) : whatsappStatus({ phoneNumberId, id, status: 'delivered' }));
  }
  return notification('whatsapp_business_account', entries);
}
