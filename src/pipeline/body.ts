// Stage 7: read the body, bounded by limits.maxBodyBytes, feeding the HMACs as chunks arrive so
// the signature is ready the moment the last byte is in. Framing errors (CL+TE, bad chunk sizes)
// are refused by the engine's strict parser before we get here and answered 400 by the gateway.
import type { Hmac } from 'node:crypto';
import { refuse, type Refusal } from '../refusal.js';
import type { HubRequest } from '../http/exchange.js';

export interface Body {
  readonly chunks: Buffer[];
  readonly length: number;
  readonly digests: Buffer[];
}

export function readBody(req: HubRequest, maxBodyBytes: number, hmacs: readonly Hmac[]): Promise<Body | Refusal> {
  const declared = req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBodyBytes) return Promise.resolve(refuse('body_too_large'));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (result: Body | Refusal) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const stop = req.readBody({
      data(chunk) {
        if (settled) return;
        length += chunk.length;
        if (length > maxBodyBytes) {
          stop();
          return finish(refuse('body_too_large'));
        }
        chunks.push(chunk);
        for (const h of hmacs) h.update(chunk);
      },
      end: () => finish({ chunks, length, digests: hmacs.map((h) => h.digest()) }),
      // A client that disconnects mid-body: nothing partial is ever forwarded.
      abort: () => finish(refuse('client_aborted')),
    });
  });
}
