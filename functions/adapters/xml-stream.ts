/**
 * AWS XML responses read as they arrive, for the few large ones (a page of 1,000 instances, the health of
 * 10,000 targets): the SDK would turn each into a string, a parse tree and full output objects before the
 * adapter keeps a handful of fields. A middleware inside the SDK's deserializer reads the 200 body stream
 * once through a reader that keeps only those fields, then gives the deserializer an empty document.
 * Signing, retries and error responses stay the SDK's: only a successful body is read here.
 */

import type { DeserializeHandler, DeserializeHandlerArguments, MiddlewareStack } from '@smithy/types';

/** Thrown when a response body is not the XML the service sends; the message says where it broke. */
export class XmlStreamError extends Error {
  override readonly name = 'XmlStreamError';
}

/** Element path below an item → the text field of the item being built that keeps it. */
export type FieldTable<B> = Readonly<
  Record<string, { [K in keyof B]-?: B[K] extends string | undefined ? K : never }[keyof B]>
>;

/** The text fields a table names, as the item being built holds them (each unset until its element is read). */
export type KeptFields<Table extends Readonly<Record<string, string>>> = {
  [Name in Table[keyof Table]]?: string;
};

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Elements as a stack of names; `opened` after an element is pushed, `closed` with its decoded text before
 * it is popped. `write` chunks of text in order, then `end`.
 */
export abstract class XmlStreamReader<T> {
  protected readonly stack: string[] = [];
  #pending = '';
  /** Text of the innermost open element from earlier chunks, while it has no child element. */
  #carried = '';
  #leaf = false;
  // Where the closing element's text lies in the chunk being read: cut out only if `text()` asks for it.
  #input = '';
  #from = 0;
  #to = 0;

  write(chunk: string): void {
    const input = this.#pending + chunk;
    this.#input = input;
    let textFrom = 0;
    let at = 0;
    for (;;) {
      const open = input.indexOf('<', at);
      const close = open === -1 ? -1 : input.indexOf('>', open);
      if (close === -1) {
        at = open === -1 ? input.length : open;
        break;
      }
      if (input.charCodeAt(open + 1) === SLASH) {
        this.#from = textFrom;
        this.#to = open;
        this.#close(input, open + 2, close);
      } else if (!isDeclaration(input, open)) {
        this.#open(input, open, close);
        textFrom = close + 1;
      }
      at = close + 1;
    }
    if (this.#leaf) this.#carried += input.slice(textFrom, at);
    this.#pending = input.slice(at);
    this.#input = '';
  }

  end(): T {
    if (this.#pending.trim() !== '' || this.stack.length > 0) {
      throw new XmlStreamError(`the response ended inside <${this.stack.join('><')}>`);
    }
    return this.result();
  }

  protected abstract opened(): void;
  /** Called before the element is popped; `text()` reads its text there. */
  protected abstract closed(name: string): void;
  protected abstract result(): T;

  /** The text of the element being closed ('' when it has child elements), decoded. */
  protected text(): string {
    if (!this.#leaf) return '';
    const raw = this.#carried + this.#input.slice(this.#from, this.#to);
    return raw === '' ? '' : own(decode(raw));
  }

  /**
   * Keeps the closing element's text in the field `fields` names for its `path` (below the item being
   * built); false, and the text never cut out, for an element the table does not name.
   */
  protected keepField<B extends object>(building: B, fields: FieldTable<B>, path: string): boolean {
    if (!Object.hasOwn(fields, path)) return false;
    (building as Record<keyof B, unknown>)[fields[path] as keyof B] = this.text();
    return true;
  }

  #open(input: string, open: number, close: number): void {
    let end = open + 1;
    while (end < close && !NAME_END.has(input.charCodeAt(end))) end += 1;
    const name = input.slice(open + 1, end);
    this.stack.push(name);
    this.#carried = '';
    this.#leaf = true;
    this.opened();
    if (input.charCodeAt(close - 1) === SLASH) {
      this.#from = close;
      this.#to = close;
      this.#closeTop();
    }
  }

  /** `</name>` between `from` and `to` of `input`: checked against the open element without cutting it out. */
  #close(input: string, from: number, to: number): void {
    const top = this.stack.at(-1) ?? '';
    const matches =
      input.startsWith(top, from) && input.slice(from + top.length, to).trim() === '' && top !== '';
    if (!matches) {
      const name = input.slice(from, to).trim();
      throw new XmlStreamError(`the response closes </${name}> inside <${this.stack.join('><')}>`);
    }
    this.#closeTop();
  }

  #closeTop(): void {
    this.closed(this.stack.at(-1) ?? '');
    this.#leaf = false;
    this.#carried = '';
    this.stack.pop();
  }
}

const SLASH = 47;
// Whitespace and `/` end an element's name.
const NAME_END = new Set([32, 9, 10, 13, 47]);

/** `<?xml …?>`, a comment or a doctype: nothing to read. */
function isDeclaration(input: string, open: number): boolean {
  const next = input.charCodeAt(open + 1);
  return next === 63 /* ? */ || next === 33 /* ! */;
}

/**
 * A copy of `text` that does not keep the chunk it was cut from alive: V8 slices long strings out of their
 * parent, so each kept id or tag value would otherwise hold a whole chunk of the response in memory.
 */
function own(text: string): string {
  return ` ${text}`.slice(1);
}

function decode(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#x([0-9a-fA-F]+)|#(\d+)|([a-zA-Z]+));/g, (whole, hex, dec, named) => {
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    if (dec) return String.fromCodePoint(Number.parseInt(dec, 10));
    return ENTITIES[named] ?? whole;
  });
}

interface StreamedResponse {
  statusCode?: number;
  body?: unknown;
}

/**
 * Makes `command` read its 200 body with a fresh reader; answers a function that gives what the reader
 * read, or undefined when no body went through (a stubbed client: then the SDK's output stands).
 */
export function streamResponse<T, Input extends object, Output extends object>(
  command: { readonly middlewareStack: MiddlewareStack<Input, Output> },
  reader: () => XmlStreamReader<T>,
  emptyDocument: Uint8Array,
): () => T | undefined {
  let read: T | undefined;
  command.middlewareStack.add(
    (next: DeserializeHandler<Input, Output>) => async (args: DeserializeHandlerArguments<Input>) => {
      const result = await next(args);
      const response = result.response as StreamedResponse;
      const body = response.body as AsyncIterable<Uint8Array> | undefined;
      if (response.statusCode !== 200 || !body || typeof body[Symbol.asyncIterator] !== 'function')
        return result;
      const target = reader();
      const decoder = new TextDecoder();
      for await (const chunk of body) target.write(decoder.decode(chunk, { stream: true }));
      target.write(decoder.decode());
      read = target.end();
      response.body = emptyDocument;
      return result;
    },
    // Inside the SDK's deserializer (priority normal), so this sees the raw response first.
    { step: 'deserialize', priority: 'low', name: 'albWardenStreamResponse' },
  );
  return () => read;
}
