/**
 * The simulator without sockets, for clients in its own process: an SDK request handler and a control
 * transport that hand each request to the simulator's request listener, as its HTTP server does. The listener
 * sees the same method, path, headers and body, and answers the same status, headers and body. Each request
 * first waits a turn of the event loop, as one over a socket does, so timers and other callers interleave with
 * it; an abort ends the call as over HTTP, and a stopped simulator refuses the connection. What is skipped is
 * TCP and HTTP framing (node:http on both sides, about a third of the CPU time of a call).
 *
 * Tests that run the controller in their own process use it. Whatever runs as a process of its own (the
 * demo, the CLI, the Lambda bundles, `npm run sim`) reaches the simulator over HTTP, and so do the
 * simulator's own tests.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { buildQueryString, type HttpHandler } from '@smithy/core/protocols';
import { type HttpRequest, HttpResponse } from '@smithy/core/transport';
import type { HttpHandlerOptions } from '@smithy/types';
import type { ControlTransport } from './control.ts';
import type { SimListener } from './server.ts';

interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Whether the simulator still serves: `stop` ends the in-process transport too. */
interface Serving {
  readonly stopped: boolean;
}

/**
 * One request through the listener, after a turn of the event loop (as a socket's read would give):
 * `headers` as node:http delivers them (lower-case names).
 */
async function dispatch(
  listener: SimListener,
  serving: Serving,
  method: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
): Promise<Reply> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (serving.stopped) {
    throw Object.assign(new Error(`connect ECONNREFUSED: the simulator is stopped (${method} ${url})`), {
      code: 'ECONNREFUSED',
    });
  }
  const request = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
    method,
    url,
    headers,
    socket: { remoteAddress: '127.0.0.1' },
  });
  return new Promise((resolve) => {
    let status = 200;
    let written: OutgoingHttpHeaders | undefined;
    listener(request, {
      get headersSent() {
        return written !== undefined;
      },
      writeHead(code, replyHeaders) {
        status = code;
        written = replyHeaders;
      },
      end(text) {
        const replyHeaders = Object.fromEntries(
          Object.entries(written ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
        );
        resolve({ status, headers: replyHeaders, body: text });
      },
    });
  });
}

/** The bytes of an SDK request body: a string, bytes, or a stream (read to its end). */
async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  // A view of the same bytes: some serializers hand a Uint8Array that warns when read as a string.
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  throw new TypeError(`the in-process transport cannot send a request body of type ${typeof body}`);
}

/** The path and query as the SDK's HTTP handler sends them. */
function requestUrl(request: HttpRequest): string {
  const query = buildQueryString(request.query ?? {});
  return query ? `${request.path}?${query}` : request.path;
}

/** An SDK request handler (a client's `requestHandler`) that sends to the simulator in process. */
const abortError = () => Object.assign(new Error('Request aborted'), { name: 'AbortError' });

/** `sent`, or an AbortError as soon as `signal` aborts (as the SDK's HTTP handler does); no listener is left. */
function untilAborted<T>(
  sent: Promise<T>,
  signal: NonNullable<HttpHandlerOptions['abortSignal']>,
): Promise<T> {
  let abort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    abort = () => reject(abortError());
  });
  const listens = 'addEventListener' in signal && typeof signal.addEventListener === 'function';
  if (listens) signal.addEventListener('abort', abort, { once: true });
  else signal.onabort = abort;
  return Promise.race([sent, aborted]).finally(() => {
    if (listens && 'removeEventListener' in signal && typeof signal.removeEventListener === 'function')
      signal.removeEventListener('abort', abort);
    else if (!listens) signal.onabort = null;
  });
}

export function inProcessRequestHandler(listener: SimListener, serving: Serving): HttpHandler {
  return {
    async handle(request: HttpRequest, options?: HttpHandlerOptions) {
      const signal = options?.abortSignal;
      if (signal?.aborted) throw abortError();
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
      );
      const sent = dispatch(
        listener,
        serving,
        request.method,
        requestUrl(request),
        headers,
        await bodyBytes(request.body),
      );
      const reply = await (signal ? untilAborted(sent, signal) : sent);
      return {
        response: new HttpResponse({
          statusCode: reply.status,
          headers: reply.headers,
          body: Readable.from([Buffer.from(reply.body, 'utf8')]),
        }),
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
}

/** The control API's transport in process (`SimControl`'s, instead of fetch). */
export function inProcessControl(listener: SimListener, serving: Serving): ControlTransport {
  return async (method, path, body) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const reply = await dispatch(listener, serving, method, path, headers, Buffer.from(body ?? '', 'utf8'));
    return { status: reply.status, text: reply.body };
  };
}
