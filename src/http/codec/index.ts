// hubgate's HTTP/1.1 codec: pure functions and state machines over bytes, no sockets. The
// connection layer (server side on tls.Server, upstream keep-alive client) is built on these.
// Why a hand-written codec, and how it compares with llhttp: docs/decisions/0002-http-codec.md.
export { RequestParser, type RequestEvents } from './request.js';
export { ResponseParser, type ResponseEvents } from './response.js';
export type { MessageEvents } from './parser.js';
export { MessageHead, RequestHead, ResponseHead, DEFAULT_LIMITS, codecLimits, type CodecLimits, type Framing, type HttpVersion } from './head.js';
export { ParseError, type ParseErrorCode } from './errors.js';
export { METHODS } from './request-line.js';
export { responseHead, requestHead, encodeResponse, appendFields, InvalidFieldError } from './serialize.js';
export { STATUS_TEXT } from './status-text.js';
