/**
 * DescribeInstances read as it arrives. A page of 1,000 instances is megabytes of XML that the SDK turns
 * into a string, a parse tree and full Instance objects (dozens of fields each) before the adapter keeps
 * six of them: at 10,000 instances that was most of the sweep's memory. Here a middleware inside the SDK's
 * deserializer reads the body stream once, keeps only what the controller uses (id, state, VPC, zone,
 * launch time, tags) and the next token, and hands the deserializer an empty page. Signing, retries and
 * error responses stay the SDK's: only a 200 body is read here.
 *
 * Element paths from the EC2 API reference (DescribeInstances response: reservationSet / item /
 * instancesSet / item; https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html).
 */
import type { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { Instance, InstanceState } from '../domain/model.ts';

export interface InstancePage {
  readonly instances: Instance[];
  readonly nextToken: string | undefined;
}

// Depth of an instance's own `item` element: DescribeInstancesResponse / reservationSet / item / instancesSet / item.
const INSTANCE_DEPTH = 5;
const EMPTY_PAGE = new TextEncoder().encode(
  '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><reservationSet/></DescribeInstancesResponse>',
);
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Thrown when a DescribeInstances body is not the XML EC2 sends; the message says where it broke. */
export class InstancePageError extends Error {
  override readonly name = 'InstancePageError';
}

interface Building {
  id?: string;
  state?: string;
  vpcId?: string;
  availabilityZone?: string;
  launchTime?: string;
  tags: Record<string, string>;
  tagKey?: string;
  tagValue?: string;
}

/** A streaming reader of one DescribeInstances response body: `write` chunks of text, then `end`. */
export class InstancePageReader {
  readonly #stack: string[] = [];
  readonly #instances: Instance[] = [];
  #pending = '';
  #text = '';
  #building: Building | undefined;
  #nextToken: string | undefined;

  write(chunk: string): void {
    const input = this.#pending + chunk;
    let at = 0;
    for (;;) {
      const open = input.indexOf('<', at);
      if (open === -1) {
        this.#text += input.slice(at);
        at = input.length;
        break;
      }
      this.#text += input.slice(at, open);
      const close = input.indexOf('>', open);
      if (close === -1) {
        at = open;
        break;
      }
      this.#tag(input.slice(open + 1, close));
      at = close + 1;
    }
    this.#pending = input.slice(at);
  }

  end(): InstancePage {
    if (this.#pending.trim() !== '' || this.#stack.length > 0) {
      throw new InstancePageError(`DescribeInstances response ended inside <${this.#stack.join('><')}>`);
    }
    return { instances: this.#instances, nextToken: this.#nextToken };
  }

  #tag(body: string): void {
    if (body.startsWith('?') || body.startsWith('!')) return;
    if (body.startsWith('/')) {
      this.#close(body.slice(1).trim());
      return;
    }
    const selfClosing = body.endsWith('/');
    const name = /^[^\s/]+/.exec(body)?.[0] ?? '';
    this.#stack.push(name);
    this.#text = '';
    if (this.#isInstanceItem()) this.#building = { tags: {} };
    if (selfClosing) this.#close(name);
  }

  #close(name: string): void {
    const stack = this.#stack;
    if (stack.at(-1) !== name) {
      throw new InstancePageError(
        `DescribeInstances response closes </${name}> inside <${stack.join('><')}>`,
      );
    }
    const text = own(decode(this.#text));
    this.#text = '';
    if (stack.length === 2 && name === 'nextToken') this.#nextToken = text;
    const building = this.#building;
    if (building && stack.length > INSTANCE_DEPTH)
      this.#field(building, stack.slice(INSTANCE_DEPTH).join('/'), text);
    if (building && this.#isInstanceItem()) {
      if (building.id) this.#instances.push(instanceOf(building));
      this.#building = undefined;
    }
    stack.pop();
  }

  #isInstanceItem(): boolean {
    const stack = this.#stack;
    return (
      stack.length === INSTANCE_DEPTH &&
      stack[1] === 'reservationSet' &&
      stack[2] === 'item' &&
      stack[3] === 'instancesSet' &&
      stack[4] === 'item'
    );
  }

  #field(building: Building, path: string, text: string): void {
    switch (path) {
      case 'instanceId':
        building.id = text;
        return;
      case 'instanceState/name':
        building.state = text;
        return;
      case 'vpcId':
        building.vpcId = text;
        return;
      case 'placement/availabilityZone':
        building.availabilityZone = text;
        return;
      case 'launchTime':
        building.launchTime = text;
        return;
      case 'tagSet/item/key':
        building.tagKey = text;
        return;
      case 'tagSet/item/value':
        building.tagValue = text;
        return;
      case 'tagSet/item':
        if (building.tagKey) building.tags[building.tagKey] = building.tagValue ?? '';
        building.tagKey = undefined;
        building.tagValue = undefined;
        return;
    }
  }
}

function instanceOf(building: Building): Instance {
  return {
    id: building.id ?? '',
    state: (building.state ?? 'pending') as InstanceState,
    vpcId: building.vpcId,
    availabilityZone: building.availabilityZone,
    // As the SDK would give it (a Date, then toISOString): one spelling whatever EC2's precision.
    launchTime: building.launchTime ? new Date(building.launchTime).toISOString() : undefined,
    tags: building.tags,
  };
}

/**
 * A copy of `text` that does not keep the chunk it was cut from alive: V8 slices long strings out of their
 * parent, so each kept id or tag value would otherwise hold a whole chunk of the page in memory.
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
 * Makes `command` read its 200 body with an InstancePageReader; answers a function that gives the page read,
 * or undefined when no body went through the middleware (a stubbed client: then the SDK's output stands).
 */
export function streamInstances(command: DescribeInstancesCommand): () => InstancePage | undefined {
  let page: InstancePage | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as StreamedResponse;
      const body = response.body as AsyncIterable<Uint8Array> | undefined;
      if (response.statusCode !== 200 || !body || typeof body[Symbol.asyncIterator] !== 'function')
        return result;
      const reader = new InstancePageReader();
      const decoder = new TextDecoder();
      for await (const chunk of body) reader.write(decoder.decode(chunk, { stream: true }));
      reader.write(decoder.decode());
      page = reader.end();
      response.body = EMPTY_PAGE;
      return result;
    },
    // Inside the SDK's deserializer (priority normal), so this sees the raw response first.
    { step: 'deserialize', priority: 'low', name: 'albWardenStreamInstances' },
  );
  return () => page;
}
