// node's own llhttp as the oracle, through the HTTPParser binding that node:http's server and
// client use (`_http_common`), set up as they set it up: HTTPParser.REQUEST / RESPONSE,
// maxHeaderSize, kLenientNone (what node:http uses unless insecureHTTPParser is on), and the
// two things node:http's JavaScript layer adds on top: headers past maxHeadersCount (2000)
// dropped, and for responses the client's "skip the body" answer to 1xx and 304 heads. The
// binding is the same state machine as a real server (oracle.test.ts checks a corpus through
// both), with the exact raw field list and body bytes and none of the socket plumbing, so the
// fuzz can run thousands of inputs in a second.
import { createRequire } from 'node:module';
import type { Kind, Message } from './collect.js';

interface HTTPParserInstance {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(buf: Buffer): number | (Error & { code: string; reason: string; bytesParsed: number });
  finish(): undefined | (Error & { code: string; reason: string });
  close(): void;
  [key: number]: unknown;
}
interface HTTPParserClass {
  new (): HTTPParserInstance;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientNone: number;
}

const require = createRequire(import.meta.url);
const { HTTPParser } = require('_http_common') as { HTTPParser: HTTPParserClass };
const { METHODS } = require('node:http') as { METHODS: string[] };
/** llhttp reports a method by its number in llhttp's enum (constants.ts). `_http_common`
 *  lists the HTTP ones in that order up to SOURCE (33); 34 is PRI, 35–45 RTSP's, 46 QUERY. */
export const LLHTTP_METHODS = [
  ...(require('_http_common') as { methods: string[] }).methods.slice(0, 34),
  'PRI', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH', 'QUERY',
];

/** node:http's default maxHeadersCount, applied in JavaScript after llhttp. */
const MAX_HEADERS_COUNT = 2000;

export interface OracleOutcome {
  messages: (Message & { upgrade: boolean })[];
  error: { code: string; reason: string } | null;
}

export function oracle(kind: Kind, input: Buffer, maxHeaderSize: number): OracleOutcome {
  const parser = new HTTPParser();
  const out: OracleOutcome = { messages: [], error: null };
  let flushed: string[] = [];
  let flushedUrl = '';
  let body: Buffer[] = [];
  parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderSize, HTTPParser.kLenientNone);
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    flushed.push(...headers);
    flushedUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    major: number, minor: number, headers: string[] | undefined, method: number | undefined, url: string | undefined,
    status: number | undefined, reason: string | undefined, upgrade: boolean, keepAlive: boolean,
  ) => {
    const all = headers ?? flushed;
    const interim = kind === 'response' && status! < 200;
    out.messages.push({
      interim,
      method: kind === 'request' ? (LLHTTP_METHODS[method!] ?? `#${method}`) : String(status),
      target: kind === 'request' ? (url ?? flushedUrl) : (reason ?? ''),
      version: `${major}.${minor}`,
      headers: all.slice(0, MAX_HEADERS_COUNT * 2),
      body: '',
      keepAlive,
      complete: false,
      upgrade,
    });
    flushed = [];
    flushedUrl = '';
    body = [];
    // node:http's client: no body after a 1xx or a 304 (parserOnIncomingClient returns 1).
    return kind === 'response' && (interim || status === 304) ? 1 : 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    body.push(Buffer.from(chunk));
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    // Trailer fields arrive through kOnHeaders; node:http hands them to the message as
    // `trailers` and starts the next message clean (parserOnMessageComplete).
    if (flushed.length > 0) {
      flushed = [];
      flushedUrl = '';
    }
    const m = out.messages[out.messages.length - 1];
    if (m) {
      m.body = Buffer.concat(body).toString('latin1');
      m.complete = true;
    }
  };
  try {
    const r = parser.execute(input);
    if (typeof r !== 'number') out.error = { code: r.code, reason: r.reason };
    else {
      const f = parser.finish();
      if (f !== undefined) out.error = { code: f.code, reason: f.reason };
    }
  } finally {
    parser.close();
  }
  return out;
}

export { METHODS as NODE_METHODS };
