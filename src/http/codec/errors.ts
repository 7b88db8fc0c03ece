// Parse errors in llhttp's vocabulary, so log lines and alerts read the same as they did with
// node:http ("HPE_INVALID_HEADER_TOKEN"), with a short detail that never carries the message's
// bytes beyond one escaped character, and the status a server answers a refused request with.

export type ParseErrorCode =
  | 'HPE_INVALID_METHOD'
  | 'HPE_INVALID_URL'
  | 'HPE_URI_TOO_LONG'
  | 'HPE_INVALID_CONSTANT'
  | 'HPE_INVALID_VERSION'
  | 'HPE_INVALID_STATUS'
  | 'HPE_INVALID_HEADER_TOKEN'
  | 'HPE_CR_EXPECTED'
  | 'HPE_LF_EXPECTED'
  | 'HPE_UNEXPECTED_CONTENT_LENGTH'
  | 'HPE_INVALID_CONTENT_LENGTH'
  | 'HPE_INVALID_TRANSFER_ENCODING'
  | 'HPE_HEADER_OVERFLOW'
  | 'HPE_INVALID_CHUNK_SIZE'
  | 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
  | 'HPE_STRICT'
  | 'HPE_CLOSED_CONNECTION'
  | 'HPE_INVALID_EOF_STATE';

/** Why a message was refused. Not an `Error`: refusals are expected input, not bugs, and a
 *  stack trace per hostile request would cost more than the parse. */
export class ParseError {
  constructor(
    /** llhttp's name for the failure (HPE_URI_TOO_LONG and HPE_CHUNK_EXTENSIONS_OVERFLOW are
     *  node's own additions to that vocabulary, for limits llhttp does not have). */
    readonly code: ParseErrorCode,
    /** Short and safe for a log line: names the rule, shows at most one escaped byte. */
    readonly detail: string,
  ) {}

  /** What a server answers a request refused with this error (then closes the connection).
   *  On the upstream side every error is the consumer's 502. */
  get status(): number {
    switch (this.code) {
      case 'HPE_HEADER_OVERFLOW':
        return 431;
      case 'HPE_URI_TOO_LONG':
        return 414;
      default:
        return 400;
    }
  }

  toString(): string {
    return `${this.code}: ${this.detail}`;
  }
}
