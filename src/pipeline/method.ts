// Stage 5: Meta sends GET (verification) and POST (event notifications), nothing else.
import { refuse, type Refusal } from '../refusal.js';

export function checkMethod(method: string | undefined): Refusal | null {
  return method === 'GET' || method === 'POST' ? null : refuse('method_not_allowed');
}
