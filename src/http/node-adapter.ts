// The seam's types (exchange.ts) over node:http's IncomingMessage and ServerResponse: what the
// listener hands the pipeline while node:https is the client-facing engine.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodySink, HeaderList, HubRequest, Responder } from './exchange.js';

export function nodeRequest(req: IncomingMessage): HubRequest {
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    rawHeaders: req.rawHeaders,
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    readBody(sink: BodySink) {
      let done = false;
      const finish = () => {
        done = true;
        req.off('data', sink.data).off('end', onEnd).off('close', onAbort).off('error', onAbort);
      };
      const onEnd = () => {
        if (done) return;
        finish();
        sink.end();
      };
      // 'close' before 'end': the client disconnected mid-body; nothing partial goes on.
      const onAbort = () => {
        if (done) return;
        finish();
        sink.abort();
      };
      req.on('data', sink.data).on('end', onEnd).on('close', onAbort).on('error', onAbort);
      return () => {
        if (done) return;
        finish();
        req.pause();
      };
    },
  };
}

export function nodeResponder(res: ServerResponse): Responder {
  return {
    get headersSent() {
      return res.headersSent;
    },
    get destroyed() {
      return res.destroyed;
    },
    send(status: number, headers: HeaderList, body: string) {
      res.writeHead(status, headers as string[]);
      res.end(body);
    },
    writeHead(status: number, headers: HeaderList) {
      res.writeHead(status, headers as string[]);
    },
    write: (chunk: Buffer) => res.write(chunk),
    onceDrain(listener: () => void) {
      if (res.destroyed) return void process.nextTick(listener);
      const fire = () => {
        res.off('drain', fire).off('close', fire);
        listener();
      };
      res.on('drain', fire).on('close', fire);
    },
    end: () => void res.end(),
    closeAfter: () => res.setHeader('connection', 'close'),
    destroy: () => void res.destroy(),
  };
}
