export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Entry {
  id: string;
  time?: number;
  changes?: Json[];
  messaging?: Json[];
  [key: string]: Json | undefined;
}
export function metaJson(value: Json): string;
export function notification(object: string, entries: Entry[]): Buffer;
export function whatsappMessage(o: { phoneNumberId: string; id: string; text?: string; from?: string }): Json;
export function whatsappStatus(o: { phoneNumberId: string; id: string; status: string }): Json;
export function whatsappChange(field: string, value: { [key: string]: Json }): Json;
export function messengerMessage(o: { mid: string; text?: string; page?: string }): Json;
export function messengerEvent(extra: { [key: string]: Json }): Json;
export function pageChange(field: string, value: { [key: string]: Json }): Json;
export function tenantIds(i: number): { phoneNumberId: string; wabaId: string };
export function whatsappDelivery(o: { wabaId: string; phoneNumberId: string; id: string; bytes?: number }): Buffer;
export function whatsappBatch(o: { events: number; tenants: number; seed?: string }): Buffer;
