/**
 * The control API under /_sim/: what AWS has no API for (identities, target health, faults, the clock)
 * and what tests read back (call counts, events, published messages). JSON in, JSON out.
 * `?account=ID&region=NAME` (either, or both) selects another account's or region's world; without them a
 * route acts on the simulator's own account and region.
 */
import { AccountError, type Worlds } from './accounts.ts';

import { DeliveryRuleError } from './cloudtrail.ts';
import { AwsError } from './errors.ts';
import { IdentityError } from './events.ts';
import { FaultSpecError } from './faults.ts';
import { HistoryControlError } from './history.ts';
import { CertificateError } from './services/acm.ts';
import { HealthOverrideError, healthOverride } from './services/elbv2-health.ts';
import { mergeSettings, SettingsError } from './settings.ts';
import { ThrottlingConfigError } from './throttling.ts';
import type { World } from './world.ts';

export interface ControlResponse {
  readonly status: number;
  readonly body: unknown;
}

/** The simulator's worlds, and whether the request selected one with `account` or `region`. */
interface Selection {
  readonly worlds: Worlds;
  readonly selected: boolean;
}

type Route = (
  world: World,
  body: Record<string, unknown>,
  query: URLSearchParams,
  selection: Selection,
) => unknown;

const ROUTES: Readonly<Record<string, Readonly<Record<string, Route>>>> = {
  '/_sim/reset': {
    // A selected world alone, or everything: every world, placed key, STS session and organization.
    POST: (world, _body, _query, { worlds, selected }) => {
      if (selected) world.reset();
      else worlds.reset();
      return { reset: true };
    },
  },
  '/_sim/accounts': {
    GET: (_world, _body, _query, { worlds }) => ({ accounts: worlds.accounts() }),
    POST: (_world, body, _query, { worlds }) => {
      const account = requiredString(body, 'account');
      const { organizationId } = body;
      if (organizationId !== null && typeof organizationId !== 'string')
        throw new ControlError(
          400,
          `organizationId must be an organization id (o-…) or null, got ${JSON.stringify(organizationId)}`,
        );
      worlds.setOrganization(account, organizationId ?? undefined);
      return { accounts: worlds.accounts() };
    },
  },
  '/_sim/forwarding': {
    GET: (world) => ({ forwardings: world.services.events.forwardings }),
  },
  '/_sim/identities': {
    POST: (world, body, query, { worlds }) => {
      const accessKeyId = requiredString(body, 'accessKeyId');
      const arn = requiredString(body, 'arn');
      const { rolePath, invokedBy } = body as { rolePath?: string; invokedBy?: string };
      const options = {
        ...(rolePath === undefined ? {} : { rolePath }),
        ...(invokedBy === undefined ? {} : { invokedBy }),
      };
      const since = world.clock.now();
      const userIdentity = world.identities.map(accessKeyId, arn, since, options);
      // A key mapped in a named account signs that account's requests, in each of its regions; others stay
      // the simulator's own.
      if (query.has('account')) worlds.placeKey(accessKeyId, world.account, { arn, since, options });
      return { accessKeyId, arn, userIdentity };
    },
  },
  '/_sim/target-health': {
    POST: (world, body) => {
      const targetGroupArn = requiredString(body, 'targetGroupArn');
      const targetId = requiredString(body, 'targetId');
      const override = healthOverride(body.state, body.reasonCode, body.description);
      world.elbv2.overrideHealth(targetGroupArn, targetId, override);
      return override
        ? { targetGroupArn, targetId, ...override }
        : { targetGroupArn, targetId, state: 'healthy' };
    },
  },
  '/_sim/faults': {
    POST: (world, body) => {
      world.faults.configure(body);
      return { faults: world.faults.list(), latencyMs: world.faults.latencyMs };
    },
  },
  '/_sim/throttling': {
    GET: (world) => world.throttling.state(world.clock.now()),
    POST: (world, body) => {
      world.throttling.configure(body);
      return world.throttling.state(world.clock.now());
    },
  },
  '/_sim/calls': {
    GET: (world) => world.calls,
    POST: (world, body) => {
      if (body.reset !== true) throw new ControlError(400, 'POST /_sim/calls takes {"reset": true}');
      world.resetCalls();
      return world.calls;
    },
  },
  '/_sim/events': {
    GET: (world, _body, query) => {
      const after = Number(query.get('after') ?? '0');
      if (!Number.isInteger(after) || after < 0) {
        throw new ControlError(
          400,
          `after must be a non-negative integer, got ${JSON.stringify(query.get('after'))}`,
        );
      }
      return world.events.after(after);
    },
  },
  '/_sim/cloudtrail': {
    GET: (world) => world.cloudTrail.state(),
    POST: (world, body) => {
      world.cloudTrail.configure(body);
      return world.cloudTrail.state();
    },
  },
  '/_sim/event-history': {
    GET: (world) => world.history.state(),
    POST: (world, body) => {
      world.history.configure(body);
      return world.history.state();
    },
  },
  '/_sim/certificates': {
    GET: (world) => ({ certificates: world.certificates.list() }),
    POST: (world, body) => {
      const certificateArn = requiredString(body, 'certificateArn');
      if (body.delete === true) world.certificates.delete(certificateArn);
      else world.certificates.issue(certificateArn);
      return { certificates: world.certificates.list() };
    },
  },
  '/_sim/dynamodb/ttl-sweep': {
    POST: (world) => ({ deleted: world.dynamodb.advance(world.clock.now(), 0) }),
  },
  '/_sim/sns': {
    GET: (world) => ({ messages: world.sns.messages }),
  },
  '/_sim/clock': {
    POST: (world, body) => {
      const advanceMs = body.advanceMs;
      if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs) || advanceMs < 0) {
        throw new ControlError(
          400,
          `advanceMs must be a non-negative number, got ${JSON.stringify(advanceMs)}`,
        );
      }
      world.clock.advance(advanceMs);
      return { now: new Date(world.clock.now()).toISOString(), offsetMs: world.clock.offsetMs };
    },
  },
  '/_sim/metrics': {
    // What AWS writes itself (AWS/Lambda Invocations, Errors): PutMetricData refuses AWS/ namespaces.
    POST: (world, body) => {
      const datapoints = Array.isArray(body.datapoints) ? body.datapoints : [body];
      for (const item of datapoints) {
        const point = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
        const at = point.timestamp === undefined ? world.clock.now() : Date.parse(String(point.timestamp));
        if (Number.isNaN(at))
          throw new ControlError(
            400,
            `timestamp must be an ISO time, got ${JSON.stringify(point.timestamp)}`,
          );
        const value = point.value ?? 1;
        if (typeof value !== 'number' || !Number.isFinite(value))
          throw new ControlError(400, `value must be a number, got ${JSON.stringify(value)}`);
        world.services.monitoring.record({
          namespace: requiredString(point, 'namespace'),
          metricName: requiredString(point, 'metricName'),
          dimensions: stringRecord(point.dimensions ?? {}, 'dimensions'),
          at,
          value,
        });
      }
      return { recorded: datapoints.length };
    },
  },
  '/_sim/stacks': {
    POST: (world, body) => {
      const stack = world.services.cloudformation.deploy(
        requiredString(body, 'stackName'),
        stringRecord(body.outputs ?? {}, 'outputs'),
        world.clock.now(),
      );
      return { stackId: stack.id, outputs: stack.outputs };
    },
  },
  '/_sim/sns-confirmations': {
    POST: (world, body) => {
      const topicArn = requiredString(body, 'topicArn');
      const endpoint = requiredString(body, 'endpoint');
      if (!world.sns.confirm(topicArn, endpoint))
        throw new ControlError(404, `no subscription of ${endpoint} to ${topicArn}`);
      return { topicArn, endpoint, confirmed: true };
    },
  },
  '/_sim/settings': {
    GET: (world) => world.settings(),
    POST: (world, body) => {
      world.updateSettings(mergeSettings(world.settings(), body));
      return world.settings();
    },
  },
};

class ControlError extends Error {
  override readonly name = 'ControlError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function handleControl(worlds: Worlds, method: string, url: URL, rawBody: string): ControlResponse {
  const route = ROUTES[url.pathname];
  if (!route) {
    return {
      status: 404,
      body: { error: `no control endpoint ${url.pathname}; known: ${Object.keys(ROUTES).join(', ')}` },
    };
  }
  const handler = route[method];
  if (!handler) {
    return {
      status: 405,
      body: { error: `${url.pathname} accepts ${Object.keys(route).join(', ')}, not ${method}` },
    };
  }
  let body: Record<string, unknown> = {};
  if (rawBody.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch (error) {
      return { status: 400, body: { error: `request body is not valid JSON: ${(error as Error).message}` } };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { status: 400, body: { error: 'request body must be a JSON object' } };
    }
    body = parsed as Record<string, unknown>;
  }
  const query = url.searchParams;
  let world: World;
  try {
    world = worlds.world(query.get('account') ?? worlds.account, query.get('region') ?? worlds.region);
  } catch (error) {
    return { status: 400, body: { error: (error as Error).message } };
  }
  const selected = query.has('account') || query.has('region');
  try {
    return { status: 200, body: handler(world, body, query, { worlds, selected }) };
  } catch (error) {
    if (error instanceof ControlError) return { status: error.status, body: { error: error.message } };
    if (error instanceof AwsError) return { status: 404, body: { error: error.message, code: error.code } };
    const invalid = [
      SettingsError,
      FaultSpecError,
      IdentityError,
      HealthOverrideError,
      DeliveryRuleError,
      CertificateError,
      AccountError,
      HistoryControlError,
      ThrottlingConfigError,
    ].some((type) => error instanceof type);
    if (invalid) return { status: 400, body: { error: (error as Error).message } };
    throw error;
  }
}

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.values(value).some((item) => typeof item !== 'string')
  )
    throw new ControlError(400, `${field} must be an object of strings, got ${JSON.stringify(value)}`);
  return value as Record<string, string>;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new ControlError(400, `${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}
