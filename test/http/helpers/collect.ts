// Drives our parsers over an input delivered in pieces and records what they report, in one
// plain shape shared with the llhttp oracle (oracle.ts) so the two can be compared.
import { RequestParser, ResponseParser, type CodecLimits, type RequestHead, type ResponseHead, type ParseError } from '../../../src/http/codec/index.js';

export interface Message {
  interim: boolean;
  /** Method (requests) or status code as text (responses). */
  method: string;
  /** Request-target (requests) or reason-phrase (responses). */
  target: string;
  version: string;
  headers: string[];
  body: string;
  /** Persistence as decided at the end of the head. */
  keepAlive: boolean;
  complete: boolean;
}

export interface Outcome {
  messages: Message[];
  error: { code: string; detail: string } | null;
  /** Where the message that failed began, and how far our parser had read when it failed. */
  messageStart: number;
  errorAt: number;
  /** keepAlive values passed to onComplete, in order. */
  completions: boolean[];
}

export type Kind = 'request' | 'response';

interface Options {
  limits?: Partial<CodecLimits>;
  /** Pause at every message boundary and resume with the unused bytes, as a connection layer
   *  serving one pipelined request at a time does. */
  pauseEachMessage?: boolean;
}

/** Runs one parser over `pieces` (the input split at arbitrary points), then EOF. */
export function collect(kind: Kind, pieces: readonly Buffer[], options: Options = {}): Outcome {
  const out: Outcome = { messages: [], error: null, messageStart: 0, errorAt: 0, completions: [] };
  let current: Message | null = null;
  let bodyParts: Buffer[] = [];
  let offset = 0; // input bytes handed to the parser and used
  let used = 0; // of the current piece
  const toMessage = (h: RequestHead | ResponseHead, interim: boolean): Message => ({
    interim,
    method: 'method' in h ? h.method : String(h.status),
    target: 'target' in h ? h.target : h.reason,
    version: h.version,
    headers: [...h.headers],
    body: '',
    keepAlive: h.keepAlive,
    complete: interim,
  });
  const events = {
    onHead(h: RequestHead | ResponseHead) {
      current = toMessage(h, false);
      out.messages.push(current);
      bodyParts = [];
    },
    onInterim(h: ResponseHead) {
      out.messages.push(toMessage(h, true));
    },
    onBody(chunk: Buffer) {
      bodyParts.push(Buffer.from(chunk));
    },
    onComplete(keepAlive: boolean) {
      current!.body = Buffer.concat(bodyParts).toString('latin1');
      current!.complete = true;
      current = null;
      out.completions.push(keepAlive);
      if (options.pauseEachMessage) parser.pause();
    },
    onError(e: ParseError) {
      out.error = { code: e.code, detail: e.detail };
    },
  };
  const parser = kind === 'request' ? new RequestParser(events, options.limits) : new ResponseParser(events, options.limits);
  let lastComplete = 0;
  for (const piece of pieces) {
    let rest = piece;
    for (;;) {
      const before = out.completions.length;
      used = parser.execute(rest);
      if (out.completions.length > before) lastComplete = offset + used;
      offset += used;
      if (out.error !== null || used >= rest.length) break;
      if (used === 0 && out.completions.length === before) break;
      rest = rest.subarray(used);
    }
    if (out.error !== null) break;
  }
  if (out.error === null) parser.finish();
  if (current !== null) (current as Message).body = Buffer.concat(bodyParts).toString('latin1');
  out.messageStart = lastComplete;
  out.errorAt = offset;
  return out;
}

/** The input cut at the given positions (sorted, deduplicated, inside the input). */
export function splitAt(input: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), input.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    pieces.push(input.subarray(at, p));
    at = p;
  }
  pieces.push(input.subarray(at));
  return pieces;
}

/** Convenience for unit tests: a whole input in one piece. */
export function parseRequests(input: string | Buffer, options: Options = {}): Outcome {
  return collect('request', [typeof input === 'string' ? Buffer.from(input, 'latin1') : input], options);
}

export function parseResponses(input: string | Buffer, options: Options = {}): Outcome {
  return collect('response', [typeof input === 'string' ? Buffer.from(input, 'latin1') : input], options);
}
