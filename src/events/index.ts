// SPEC.md §8–§9 — Meta events: parsing with offsets, routing to tenants and fan-out, rewritten
// bodies, per-event dedupe and Meta's answer. The gateway needs only this file's exports.
export { parseNotification, MAX_EVENTS, type Notification, type NotificationEntry, type NotificationEvent, type Unparsed, type UnparsedReason } from './notification.js';
export { createEventRouter, appDestination, destinationUrl, type EventRouter, type Part } from './route.js';
export { deliverEvents, type Delivered, type EventDelivery, type OutgoingBody, type Send, type Sent } from './deliver.js';
export { acknowledge, type Acknowledgement, type DestinationOutcome } from './acknowledge.js';
export { rewrittenBody, signature } from './body.js';
export { eventIdentities, eventKey } from './keys.js';
