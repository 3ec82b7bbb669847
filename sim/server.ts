/**
 * One HTTP server for every simulated service and the control API. A request goes to DynamoDB when its
 * `X-Amz-Target` says so, otherwise to the service named in its SigV4 credential scope
 * (`Credential=AKID/date/region/<service>/aws4_request`), in the world of the key's account and the scope's
 * region (sim/accounts.ts). Signatures are not verified.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worlds } from './accounts.ts';
import { elbv2ApiCall, servedApiCall } from './api-calls.ts';
import { handleControl } from './control-routes.ts';
import { AwsError } from './errors.ts';
import type { AnyService as ServiceName } from './faults.ts';
import { uuid } from './ids.ts';
import { awsQueryError, awsQueryResponse } from './protocols/aws-query-xml.ts';
import { ec2Error, ec2Response } from './protocols/ec2-xml.ts';
import { DYNAMODB_TARGET_PREFIX, type JsonProtocol, jsonError } from './protocols/json.ts';
import { parseQueryTree, QueryInput, type QueryTree } from './protocols/query.ts';
import type { XmlObject } from './protocols/xml.ts';
import type { Call } from './services/context.ts';
import { ELBV2_WRITE_ACTIONS } from './services/elbv2.ts';
import type { World } from './world.ts';

const SERVICE_BY_SCOPE: Readonly<Record<string, ServiceName>> = {
  ec2: 'ec2',
  elasticloadbalancing: 'elbv2',
  sns: 'sns',
  autoscaling: 'autoscaling',
  dynamodb: 'dynamodb',
  cloudtrail: 'cloudtrail',
  events: 'events',
  monitoring: 'monitoring',
  sqs: 'sqs',
  kms: 'kms',
  iam: 'iam',
  cloudformation: 'cloudformation',
  tagging: 'tagging',
  sts: 'sts',
};

type QueryService = 'elbv2' | 'sns' | 'autoscaling' | 'iam' | 'cloudformation' | 'sts';
type JsonService = 'dynamodb' | 'cloudtrail' | 'events' | 'monitoring' | 'sqs' | 'kms' | 'tagging';

const QUERY_NAMESPACES: Readonly<Record<QueryService, { namespace: string; version: string }>> = {
  elbv2: { namespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/', version: '2015-12-01' },
  sns: { namespace: 'http://sns.amazonaws.com/doc/2010-03-31/', version: '2010-03-31' },
  autoscaling: { namespace: 'http://autoscaling.amazonaws.com/doc/2011-01-01/', version: '2011-01-01' },
  iam: { namespace: 'https://iam.amazonaws.com/doc/2010-05-08/', version: '2010-05-08' },
  cloudformation: { namespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/', version: '2010-05-15' },
  sts: { namespace: 'https://sts.amazonaws.com/doc/2011-06-15/', version: '2011-06-15' },
};

const JSON_1_0 = 'application/x-amz-json-1.0';
const JSON_1_1 = 'application/x-amz-json-1.1';

/** Each JSON service's protocol, as its SDK client speaks it (the client packages' runtimeConfig.shared). */
const JSON_PROTOCOLS: Readonly<Record<JsonService, JsonProtocol>> = {
  dynamodb: {
    targetPrefix: DYNAMODB_TARGET_PREFIX,
    contentType: JSON_1_0,
    errorNamespace: 'com.amazonaws.dynamodb.v20120810',
  },
  cloudtrail: {
    targetPrefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.',
    contentType: JSON_1_1,
    errorNamespace: 'com.amazonaws.cloudtrail.v20131101',
  },
  events: { targetPrefix: 'AWSEvents.', contentType: JSON_1_1, errorNamespace: 'com.amazonaws.eventbridge' },
  monitoring: {
    targetPrefix: 'GraniteServiceVersion20100801.',
    contentType: JSON_1_0,
    errorNamespace: 'com.amazonaws.cloudwatch',
    queryCompatible: true,
  },
  sqs: {
    targetPrefix: 'AmazonSQS.',
    contentType: JSON_1_0,
    errorNamespace: 'com.amazonaws.sqs',
    queryCompatible: true,
  },
  kms: { targetPrefix: 'TrentService.', contentType: JSON_1_1, errorNamespace: 'com.amazonaws.kms' },
  tagging: {
    targetPrefix: 'ResourceGroupsTaggingAPI_20170126.',
    contentType: JSON_1_1,
    errorNamespace: 'com.amazonaws.resourcegroupstaggingapi',
  },
};

function jsonProtocol(service: ServiceName): JsonProtocol | undefined {
  return (JSON_PROTOCOLS as Partial<Record<ServiceName, JsonProtocol>>)[service];
}

/**
 * What the simulator reads of a request: node:http's IncomingMessage has it, and so does the in-process
 * transport's (sim/in-process.ts).
 */
export interface SimRequest extends AsyncIterable<Buffer> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/** What the simulator does with a response: node:http's ServerResponse, or the in-process transport's. */
export interface SimResponse {
  readonly headersSent: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  end(body: string): unknown;
}

export type SimListener = (request: SimRequest, response: SimResponse) => void;

/** The simulator's request listener: every service and the control API, for a server or in process. */
export function simulatorListener(worlds: Worlds): SimListener {
  return (request, response) => {
    serve(worlds, request, response).catch((error: unknown) => {
      console.error('simulator: unexpected failure', error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'internal simulator error' }));
    });
  };
}

async function serve(worlds: Worlds, request: SimRequest, response: SimResponse): Promise<void> {
  const body = await readBody(request);
  const url = new URL(request.url ?? '/', 'http://simulator');
  if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
    // Time-based changes first, and the events they forward, so the route reads the state as of now.
    worlds.advance();
    await worlds.settle();
    const { status, body: reply } = handleControl(worlds, request.method ?? 'GET', url, body);
    await worlds.settle();
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(reply));
    return;
  }
  await serveAws(worlds, request, body, response);
}

async function readBody(request: SimRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

interface AwsRequest {
  readonly service: ServiceName;
  readonly action: string;
  readonly accessKeyId: string;
  readonly query: QueryTree;
  readonly json: Record<string, unknown>;
  /** Set when the body cannot be read; the call is still counted, then answered with this error. */
  readonly malformed?: AwsError;
}

async function serveAws(
  worlds: Worlds,
  request: SimRequest,
  rawBody: string,
  response: SimResponse,
): Promise<void> {
  const requestId = uuid();
  const authorization = header(request, 'authorization') ?? '';
  const credential = /Credential=([^/,\s]+)\/[^/]+\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  const target = header(request, 'x-amz-target');
  const isDynamoDb = target?.startsWith(DYNAMODB_TARGET_PREFIX) === true;
  const service = isDynamoDb ? 'dynamodb' : SERVICE_BY_SCOPE[credential?.[3] ?? ''];
  if (!service) {
    const error = credential
      ? new AwsError(
          'UnrecognizedClientException',
          `The simulator serves ${Object.keys(SERVICE_BY_SCOPE).join(', ')}, not '${credential[3]}'`,
        )
      : new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    response.writeHead(error.status, { 'content-type': 'text/xml' });
    response.end(awsQueryError('', error, requestId));
    return;
  }

  const parsed = parseRequest(service, target ?? '', credential?.[1] ?? 'anonymous', rawBody);
  const world = worlds.route(parsed.accessKeyId, credential?.[2], service);
  world.countCall(service, parsed.action);
  if (world.faults.latencyMs > 0) await sleep(world.faults.latencyMs);
  worlds.advance();
  await worlds.settle();

  const now = world.clock.now();
  let caller = world.identities.resolve(parsed.accessKeyId);
  let result: Record<string, unknown> | undefined;
  let failure: AwsError | undefined;
  try {
    caller = worlds.callerIn(world, parsed.accessKeyId);
    if (parsed.malformed) throw parsed.malformed;
    world.throttling.admit(service, parsed.action, world.account, world.region, now);
    const fault = world.faults.take(service, parsed.action, String(caller.userIdentity.arn));
    if (fault) throw fault;
    result = await dispatch(world, parsed, { now, caller });
  } catch (error) {
    failure = error instanceof AwsError ? error : internalFailure(error);
  }

  const served = {
    action: parsed.action,
    query: parsed.query,
    at: now,
    caller,
    requestId,
    sourceIPAddress: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    userAgent: header(request, 'user-agent') ?? '',
    failure,
  };
  if (service === 'elbv2' && ELBV2_WRITE_ACTIONS.has(parsed.action))
    world.recordApiCall(elbv2ApiCall({ ...served, result }));
  // Every other call goes to the event history only (EventBridge rules here watch ELB writes).
  else
    world.recordApiCall(servedApiCall({ ...served, eventSource: eventSourceOf(service) }), {
      deliver: false,
    });

  await worlds.settle();
  if (failure) respondError(response, service, failure, requestId);
  else respond(response, service, parsed.action, result ?? {}, requestId);
}

/** The service's CloudTrail `eventSource`: its endpoint prefix (the SigV4 scope) at amazonaws.com. */
function eventSourceOf(service: ServiceName): string {
  const scope = Object.entries(SERVICE_BY_SCOPE).find(([, name]) => name === service)?.[0] ?? service;
  return `${scope}.amazonaws.com`;
}

function parseRequest(
  service: ServiceName,
  target: string,
  accessKeyId: string,
  rawBody: string,
): AwsRequest {
  const protocol = jsonProtocol(service);
  if (protocol) {
    const action = target.startsWith(protocol.targetPrefix)
      ? target.slice(protocol.targetPrefix.length)
      : (target.split('.').pop() ?? '');
    try {
      const json = rawBody === '' ? {} : (JSON.parse(rawBody) as Record<string, unknown>);
      return { service, action, accessKeyId, query: {}, json };
    } catch {
      const malformed = new AwsError(
        'SerializationException',
        'Start of structure or map found where not expected.',
      );
      return { service, action, accessKeyId, query: {}, json: {}, malformed };
    }
  }
  const query = parseQueryTree(rawBody);
  const action = typeof query.Action === 'string' ? query.Action : '';
  return { service, action, accessKeyId, query, json: {} };
}

/** A bug in the simulator reaches the SDK as AWS's own 500, and is logged for whoever runs the tests. */
function internalFailure(error: unknown): AwsError {
  console.error('simulator: unexpected failure', error);
  return new AwsError('InternalFailure', `The simulator failed: ${(error as Error).message}`, 500);
}

type JsonHandler = (body: Record<string, unknown>, call: Call) => Record<string, unknown>;
type QueryHandler = (input: QueryInput, call: Call) => XmlObject | Promise<XmlObject>;

async function dispatch(world: World, request: AwsRequest, call: Call): Promise<Record<string, unknown>> {
  if (jsonProtocol(request.service)) {
    const handlers: Readonly<Record<string, JsonHandler>> =
      world.services[request.service as JsonService].handlers;
    const handler = handlers[request.action];
    if (!handler) throw new AwsError('UnknownOperationException', `Unknown operation ${request.action}`);
    return handler(request.json, call);
  }
  const handlers: Readonly<Record<string, QueryHandler>> =
    world.services[request.service as QueryService | 'ec2'].handlers;
  const handler = handlers[request.action];
  if (!handler) {
    if (request.service === 'ec2') {
      throw new AwsError('InvalidAction', `The action ${request.action} is not valid for this web service.`);
    }
    const { version } = QUERY_NAMESPACES[request.service as QueryService];
    throw new AwsError('InvalidAction', `Could not find operation ${request.action} for version ${version}`);
  }
  return await handler(new QueryInput(request.query), call);
}

function respond(
  response: SimResponse,
  service: ServiceName,
  action: string,
  result: Record<string, unknown>,
  requestId: string,
): void {
  const protocol = jsonProtocol(service);
  if (protocol) {
    response.writeHead(200, { 'content-type': protocol.contentType, 'x-amzn-requestid': requestId });
    response.end(JSON.stringify(result));
    return;
  }
  const xml =
    service === 'ec2'
      ? ec2Response(action, requestId, result as XmlObject)
      : awsQueryResponse(
          QUERY_NAMESPACES[service as QueryService].namespace,
          action,
          requestId,
          result as XmlObject,
        );
  response.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
  response.end(xml);
}

function respondError(response: SimResponse, service: ServiceName, error: AwsError, requestId: string): void {
  const protocol = jsonProtocol(service);
  if (protocol) {
    response.writeHead(error.status, {
      'content-type': protocol.contentType,
      'x-amzn-requestid': requestId,
      ...(protocol.queryCompatible
        ? { 'x-amzn-query-error': `${error.queryCode};${error.status >= 500 ? 'Receiver' : 'Sender'}` }
        : {}),
    });
    response.end(jsonError(error, protocol.errorNamespace));
    return;
  }
  const xml =
    service === 'ec2'
      ? ec2Error(error, requestId)
      : awsQueryError(QUERY_NAMESPACES[service as QueryService].namespace, error, requestId);
  response.writeHead(error.status, {
    'content-type': 'text/xml;charset=UTF-8',
    'x-amzn-requestid': requestId,
  });
  response.end(xml);
}

function header(request: SimRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
