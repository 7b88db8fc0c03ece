// How the notification reader gives up on a body that is valid JSON but not a notification of
// SPEC.md §9's shape: a throw unwinding to parseNotification, which forwards the body whole.

/** Why a body was not read as a notification (logged as a code; never the body). */
export type UnparsedReason = 'invalid_json' | 'not_a_notification' | 'duplicate_key' | 'too_many_events';

export class NotANotification {
  constructor(readonly reason: UnparsedReason) {}
}

export function notNotification(reason: UnparsedReason = 'not_a_notification'): never {
  throw new NotANotification(reason);
}
