/**
 * Arbitrary world states for the properties, within what the controller models: instances in every state,
 * with matching, partial, differently spelled or no tags, in the target group's VPC or another one,
 * registered by hand or not; listener drift (redirect status, port, host and protocol variants, plain-HTTP
 * forward or fixed response on port 80, HTTPS answering fixed responses or forwarding elsewhere or to two
 * groups, a redirect on 443, port 443 switched to HTTP, deleted listeners), foreign rules on port 80, a
 * drifted health check. `materialize` writes a state into a world through the SDK, as people would.
 */
import { StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  type Action,
  CreateRuleCommand,
  DeleteListenerCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import fc from 'fast-check';
import type { InstanceState } from '../../../functions/domain/model.ts';
import { launch, type Site, type World } from './world.ts';

export const SELECTORS: readonly Record<string, string>[] = [{ Role: 'web' }, { Role: 'web', Env: 'prod' }];
const TAGS: readonly Record<string, string>[] = [
  { Role: 'web' },
  { Role: 'web', Env: 'prod' },
  { Role: 'web', Env: 'staging' },
  { Role: 'api' },
  { Role: 'WEB' },
  { role: 'web' },
  {},
];

export interface InstanceSpec {
  readonly tags: Readonly<Record<string, string>>;
  readonly state: InstanceState;
  readonly otherVpc: boolean;
  /** Registered by hand while it ran (only possible in the target group's VPC). */
  readonly registeredByHand: boolean;
}

export const HTTP_DRIFTS = [
  'as desired',
  'as desired, defaults left out',
  'redirect 302',
  'redirect to #{port}',
  'redirect to 8443',
  'redirect to another host',
  'redirect to HTTP',
  'plain HTTP forward',
  'fixed response',
  'deleted',
] as const;
export const HTTPS_DRIFTS = [
  'as desired',
  'as desired, as a ForwardConfig',
  'fixed response',
  'forwards to another group',
  'forwards to two groups',
  'redirects',
  'speaks HTTP',
  'deleted',
] as const;
export const RULES = ['forward', 'fixed response', 'redirect to HTTPS', 'redirect to HTTP'] as const;
export const HEALTH_CHECKS = ['as desired', 'matcher 200', 'path /health', 'interval 10'] as const;

export interface WorldSpec {
  readonly selector: Readonly<Record<string, string>>;
  readonly foreignRules: 'remove' | 'report';
  readonly instances: readonly InstanceSpec[];
  readonly http: (typeof HTTP_DRIFTS)[number];
  readonly https: (typeof HTTPS_DRIFTS)[number];
  readonly rules: readonly (typeof RULES)[number][];
  readonly healthCheck: (typeof HEALTH_CHECKS)[number];
}

export const instanceSpec: fc.Arbitrary<InstanceSpec> = fc.record({
  tags: fc.constantFrom(...TAGS),
  state: fc.constantFrom<InstanceState>(
    'running',
    'running',
    'running',
    'pending',
    'stopping',
    'stopped',
    'shutting-down',
    'terminated',
  ),
  // One in five in another VPC.
  otherVpc: fc.integer({ min: 0, max: 4 }).map((value) => value === 0),
  registeredByHand: fc.boolean(),
});

export const worldSpec: fc.Arbitrary<WorldSpec> = fc.record({
  selector: fc.constantFrom(...SELECTORS),
  foreignRules: fc.constantFrom('remove' as const, 'report' as const),
  instances: fc.array(instanceSpec, { maxLength: 8 }),
  http: fc.constantFrom(...HTTP_DRIFTS),
  https: fc.constantFrom(...HTTPS_DRIFTS),
  rules: fc.array(fc.constantFrom(...RULES), { maxLength: 3 }),
  healthCheck: fc.constantFrom(...HEALTH_CHECKS),
});

export interface Materialized {
  /** Instance id → its spec. */
  readonly instances: ReadonlyMap<string, InstanceSpec>;
  /** `id:port` registered (not draining) when the controller starts. */
  readonly registeredBefore: readonly string[];
}

const redirect = (config: Record<string, string>): Action => ({
  Type: 'redirect',
  RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301', ...config },
});

export async function materialize(world: World, site: Site, spec: WorldSpec): Promise<Materialized> {
  const { clients, person } = world;
  const instances = new Map<string, InstanceSpec>();
  // Everything starts running (transitions are immediate), then is moved to its final state.
  await world.control.settings({ delays: { instanceTransitionMs: 0 } });
  const settled = spec.instances.filter(
    (entry) => !['pending', 'stopping', 'shutting-down'].includes(entry.state),
  );
  const moving = spec.instances.filter((entry) => ['stopping', 'shutting-down'].includes(entry.state));
  const late = spec.instances.filter((entry) => entry.state === 'pending');
  const launched: [string, InstanceSpec][] = [];
  for (const entry of [...settled, ...moving]) {
    const [id = ''] = await launch(
      world,
      1,
      { ...entry.tags },
      entry.otherVpc ? world.otherVpcSubnetId : undefined,
    );
    launched.push([id, entry]);
    instances.set(id, entry);
  }
  const byHand = launched.filter(([, entry]) => entry.registeredByHand && !entry.otherVpc).map(([id]) => id);
  if (byHand.length > 0) {
    await person.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: site.targetGroupArn,
        Targets: byHand.map((Id) => ({ Id, Port: 8080 })),
      }),
    );
  }
  const ids = (state: InstanceState, among: [string, InstanceSpec][]) =>
    among.filter(([, entry]) => entry.state === state).map(([id]) => id);
  const stop = async (list: string[]) => {
    if (list.length > 0) await clients.ec2.send(new StopInstancesCommand({ InstanceIds: list }));
  };
  const terminate = async (list: string[]) => {
    if (list.length > 0) await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: list }));
  };
  await stop(ids('stopped', launched));
  await terminate(ids('terminated', launched));
  // From here on transitions take an hour: these stay where they are while the controller looks.
  await world.control.settings({ delays: { instanceTransitionMs: 60 * 60_000 } });
  await stop(ids('stopping', launched));
  await terminate(ids('shutting-down', launched));
  for (const entry of late) {
    const [id = ''] = await launch(
      world,
      1,
      { ...entry.tags },
      entry.otherVpc ? world.otherVpcSubnetId : undefined,
    );
    instances.set(id, entry);
  }

  await driftListeners(world, site, spec);
  if (spec.healthCheck !== 'as desired') {
    await person.elbv2.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: site.targetGroupArn,
        ...(spec.healthCheck === 'matcher 200' ? { Matcher: { HttpCode: '200' } } : {}),
        ...(spec.healthCheck === 'path /health' ? { HealthCheckPath: '/health' } : {}),
        ...(spec.healthCheck === 'interval 10' ? { HealthCheckIntervalSeconds: 10 } : {}),
      }),
    );
  }
  const health = await clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: site.targetGroupArn }),
  );
  const registeredBefore = (health.TargetHealthDescriptions ?? [])
    .filter((description) => description.TargetHealth?.State !== 'draining')
    .map((description) => `${description.Target?.Id}:${description.Target?.Port}`)
    .sort();
  return { instances, registeredBefore };
}

async function driftListeners(world: World, site: Site, spec: WorldSpec): Promise<void> {
  const { person } = world;
  const http = (actions: Action[]) =>
    person.elbv2.send(
      new ModifyListenerCommand({ ListenerArn: site.httpListenerArn, DefaultActions: actions }),
    );
  const https = (actions: Action[], extra: { Protocol?: 'HTTP' } = {}) =>
    person.elbv2.send(
      new ModifyListenerCommand({ ListenerArn: site.httpsListenerArn, DefaultActions: actions, ...extra }),
    );

  for (const [index, rule] of spec.rules.entries()) {
    const actions: Record<(typeof RULES)[number], Action> = {
      forward: { Type: 'forward', TargetGroupArn: site.targetGroupArn },
      'fixed response': { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } },
      'redirect to HTTPS': redirect({}),
      'redirect to HTTP': redirect({ Protocol: 'HTTP', Port: '8080' }),
    };
    await person.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: site.httpListenerArn,
        Priority: 10 + index,
        Conditions: [{ Field: 'path-pattern', Values: [`/r${index}/*`] }],
        Actions: [actions[rule]],
      }),
    );
  }
  switch (spec.http) {
    case 'as desired':
      break;
    case 'as desired, defaults left out':
      await http([
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ]);
      break;
    case 'redirect 302':
      await http([redirect({ StatusCode: 'HTTP_302' })]);
      break;
    case 'redirect to #{port}':
      await http([redirect({ Port: '#{port}' })]);
      break;
    case 'redirect to 8443':
      await http([redirect({ Port: '8443' })]);
      break;
    case 'redirect to another host':
      await http([redirect({ Host: 'elsewhere.example.com' })]);
      break;
    case 'redirect to HTTP':
      await http([redirect({ Protocol: 'HTTP', Port: '8080' })]);
      break;
    case 'plain HTTP forward':
      await http([{ Type: 'forward', TargetGroupArn: site.targetGroupArn }]);
      break;
    case 'fixed response':
      await http([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', MessageBody: 'ok' } }]);
      break;
    case 'deleted':
      await person.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.httpListenerArn }));
      break;
  }
  switch (spec.https) {
    case 'as desired':
      break;
    case 'as desired, as a ForwardConfig':
      await https([
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: site.targetGroupArn, Weight: 5 },
              { TargetGroupArn: world.strayTargetGroupArn, Weight: 0 },
            ],
          },
        },
      ]);
      break;
    case 'fixed response':
      await https([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }]);
      break;
    case 'forwards to another group':
      await https([{ Type: 'forward', TargetGroupArn: world.strayTargetGroupArn }]);
      break;
    case 'forwards to two groups':
      await https([
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: site.targetGroupArn, Weight: 1 },
              { TargetGroupArn: world.strayTargetGroupArn, Weight: 1 },
            ],
          },
        },
      ]);
      break;
    case 'redirects':
      await https([redirect({ Host: 'maintenance.example.com' })]);
      break;
    case 'speaks HTTP':
      await https([{ Type: 'forward', TargetGroupArn: site.targetGroupArn }], { Protocol: 'HTTP' });
      break;
    case 'deleted':
      await person.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.httpsListenerArn }));
      break;
  }
}

export function matches(spec: InstanceSpec, selector: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([key, value]) => spec.tags[key] === value);
}

/**
 * The targets the desired state has: every running instance that matches, in the group's VPC, plus what
 * was registered by hand and does not match (left alone). The controller owns nothing yet in a fresh world.
 */
export function desiredTargets(spec: WorldSpec, state: Materialized): string[] {
  const targets = new Set<string>();
  for (const [id, entry] of state.instances) {
    if (matches(entry, spec.selector) && entry.state === 'running' && !entry.otherVpc)
      targets.add(`${id}:8080`);
  }
  for (const key of state.registeredBefore) {
    const id = key.split(':')[0] ?? '';
    const entry = state.instances.get(id);
    if (entry && !matches(entry, spec.selector)) targets.add(key);
  }
  return [...targets].sort();
}
