// The seam between the engine (the listener and its HTTP/1.1 codec on one side, the upstream
// client on the other) and the pipeline stages (STYLE.md §11). The stages see only these small
// types, never node:http's IncomingMessage/ServerResponse or a client library's objects, so
// swapping the engine touches the codec and the listener, not the stages.

/** Header fields as one flat list, `[name, value, name, value, …]`, in order, names as received.
 *  A flat list is what a codec produces and what a serializer writes: no object per request. */
export type HeaderList = readonly string[];

/** Receives a request body chunk by chunk. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  /** The client went away (or the connection failed) before the body was complete. */
  abort(): void;
}

/** One request as the stages need it. */
export interface HubRequest {
  readonly method: string;
  /** The request-target as received (origin-form: path and query). */
  readonly url: string;
  readonly rawHeaders: HeaderList;
  /** A field the pipeline reads, by lower-case name, as node:http's `req.headers` gives it: the
   *  first value for singleton fields (host, content-length, …), repeated values joined with
   *  ", " otherwise — so two X-Hub-Signature-256 fields read as one malformed value. */
  header(name: string): string | undefined;
  /** Starts delivering the body (once). The returned function stops delivery: the rest of an
   *  over-limit body is never read, and the connection is closed after the answer. */
  readBody(sink: BodySink): () => void;
}

/** The answer to one request. Either `send` (a complete answer the gateway writes itself) or
 *  `writeHead` + `write`… + `end` (an upstream's answer relayed as it arrives). */
export interface Responder {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** A small complete answer, written as one write where the engine can. */
  send(status: number, headers: HeaderList, body: string): void;
  writeHead(status: number, headers: HeaderList): void;
  /** false: stop writing until `onceDrain` fires (the client reads slower than the upstream sends). */
  write(chunk: Buffer): boolean;
  /** Fires once, when writing may go on — or when the connection has closed (then `destroyed`
   *  is true), so a relay waiting on a client that went away is never stuck. */
  onceDrain(listener: () => void): void;
  end(): void;
  /** Close the connection once this answer is complete (reload, shutdown, unread body); the
   *  engine announces it with `Connection: close`. Call it before the head is written. */
  closeAfter(): void;
  /** Abort: a response already under way is cut short, which tells the client it is incomplete. */
  destroy(): void;
}

/** Reads one field of a HeaderList by lower-case name (first occurrence). */
export function findHeader(headers: HeaderList, lowerName: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === lowerName) return headers[i + 1];
  }
  return undefined;
}
