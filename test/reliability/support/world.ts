/**
 * A simulator world for the reliability suite: one VPC holding one or more guarded sites (a load balancer
 * with its HTTP:80 redirect, its HTTPS:443 forward and its port-8080 target group), a spare target group to
 * forward to by mistake, a second VPC, the alert topic and the state table, and the controller wired to it
 * with the real adapters and SDK clients. Everything is set up through AWS API calls, plus the simulator's
 * control API for identities, faults, latency and target health.
 *
 * One simulator per test file (they run in parallel workers); `buildWorld` resets it for each test.
 */

import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SNSClient } from '@aws-sdk/client-sns';
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  HandlerExecutionContext,
  MetadataBearer,
} from '@smithy/types';
import { AwsScalingGroups } from '../../../functions/adapters/autoscaling.ts';
import { CloudTrailChangeHistory } from '../../../functions/adapters/cloudtrail.ts';
import { DynamoDbStateStore } from '../../../functions/adapters/dynamodb-state.ts';
import { Ec2Instances } from '../../../functions/adapters/ec2.ts';
import { ElbV2LoadBalancing } from '../../../functions/adapters/elbv2.ts';
import { SnsAlertPublisher } from '../../../functions/adapters/sns.ts';
import { TaggingApiResources } from '../../../functions/adapters/tagging.ts';
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../../../functions/config.ts';
import { createClient } from '../../../functions/deps.ts';
import type { Deps, Telemetry } from '../../../functions/use-cases/context.ts';
import type { InvocationResult } from '../../../functions/use-cases/results.ts';
import type { CallCounts, SimEvent } from '../../../sim/control.ts';
import { type SimControl, type Simulator, startSimulator } from '../../../sim/index.ts';
import { buildSeedTopology, createAlertResources, launchInstances } from '../../../sim/seed.ts';
import { ELBV2_WRITE_ACTIONS } from '../../../sim/services/elbv2.ts';
import { EventFeed, useCases } from '../../../testkit/events.ts';
import { instantClock } from '../../../testkit/limiter-clock.ts';
import { type AwsClients, openWorld, type World as SimulatedWorld } from '../../../testkit/world.ts';
import { recordingTelemetry } from '../../support/fake-world.ts';

export const CONTROLLER_KEY = 'AKIARELIABILITYCTRL1';
export const PERSON_KEY = 'AKIARELIABILITYUSER1';
/** What the simulator's clients sign with; never a real credential. */
export const SIM_SECRET = 'reliability-simulator-secret';
export const TABLE = 'alb-warden-alert-state';
export const REDIRECT = {
  Protocol: 'HTTPS',
  Port: '443',
  Host: '#{host}',
  Path: '/#{path}',
  Query: '#{query}',
  StatusCode: 'HTTP_301',
} as const;

export type { AwsClients } from '../../../testkit/world.ts';

/** One guarded load balancer and its target group. */
export interface Site {
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  readonly httpListenerArn: string;
  readonly httpsListenerArn: string;
}

export interface SiteSpec {
  readonly name: string;
  readonly selector?: Readonly<Record<string, string>>;
  /** Extra binding fields (foreignRules, healthCheck …), merged over the defaults. */
  readonly binding?: Readonly<Record<string, unknown>>;
}

export interface WorldOptions {
  /** @default one site "web" selecting Role=web */
  readonly sites?: readonly SiteSpec[];
  readonly config?: Partial<WardenConfigInput>;
}

export interface World {
  readonly sim: Simulator;
  /** The shared simulated world underneath: identities, clients, the controller's connection. */
  readonly simulated: SimulatedWorld;
  readonly control: SimControl;
  readonly account: string;
  readonly region: string;
  /** Clients signing with a key nobody mapped (the test's own setup calls). */
  readonly clients: AwsClients;
  /** Clients acting as a person: an administrator's role session. */
  readonly person: AwsClients;
  readonly vpcId: string;
  readonly subnetIds: readonly [string, string];
  /** A subnet in another VPC: instances there can never be targets of the sites' groups. */
  readonly otherVpcSubnetId: string;
  /** A target group in the sites' VPC that no binding uses: forwarding to it is drift. */
  readonly strayTargetGroupArn: string;
  readonly certificateArn: string;
  readonly topicArn: string;
  readonly controllerRoleArn: string;
  readonly sites: readonly Site[];
  readonly config: WardenConfig;
  site(name: string): Site;
}

const SIM_REGION = 'ap-northeast-2';

export async function openSimulator(): Promise<Simulator> {
  return startSimulator({ region: SIM_REGION });
}

const openWorlds = new WeakMap<Simulator, SimulatedWorld[]>();

export async function closeSimulator(sim: Simulator): Promise<void> {
  for (const world of openWorlds.get(sim) ?? []) await world.stop();
  await sim.stop();
}

/** Resets the simulator and builds a fresh world in it. */
export async function buildWorld(sim: Simulator, options: WorldOptions = {}): Promise<World> {
  const simulated = await openWorld({
    simulator: sim,
    keys: { controller: CONTROLLER_KEY, person: PERSON_KEY, setup: 'AKIARELIABILITYSETUP' },
    clientSettings: { secretAccessKey: SIM_SECRET },
    transport: 'in-process',
  });
  openWorlds.set(sim, [...(openWorlds.get(sim) ?? []), simulated]);
  const { control, account, region, clients, person, controllerRoleArn } = simulated;

  const specs = options.sites ?? [{ name: 'web', selector: { Role: 'web' } }];
  const [first, ...rest] = specs;
  if (!first) throw new Error('a world needs at least one site');
  const seed = await buildSeedTopology(clients, {
    loadBalancerName: `${first.name}-alb`,
    targetGroupName: `${first.name}-8080`,
  });
  const sites: Site[] = [
    {
      name: first.name,
      selector: first.selector ?? { Role: first.name },
      loadBalancerArn: seed.loadBalancerArn,
      targetGroupArn: seed.targetGroupArn,
      httpListenerArn: seed.httpListenerArn,
      httpsListenerArn: seed.httpsListenerArn,
    },
  ];
  for (const spec of rest) {
    sites.push(await addSite(clients, seed, spec));
  }
  const stray = await clients.elbv2.send(
    new CreateTargetGroupCommand({ Name: 'stray-8080', Protocol: 'HTTP', Port: 8080, VpcId: seed.vpcId }),
  );
  const otherVpc = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  const otherSubnet = await clients.ec2.send(
    new CreateSubnetCommand({
      VpcId: otherVpc.Vpc?.VpcId,
      CidrBlock: '10.9.1.0/24',
      AvailabilityZone: `${region}a`,
    }),
  );
  const topic = await createAlertResources(clients, { topicName: 'alb-warden-alerts', tableName: TABLE });
  const config = parseConfig({
    controllerRoleArns: [controllerRoleArn],
    alerts: { topicArn: topic.topicArn, stateTable: TABLE },
    ...options.config,
    bindings: sites.map((site, index) => ({
      name: site.name,
      loadBalancerArn: site.loadBalancerArn,
      targetGroupArn: site.targetGroupArn,
      instanceSelector: { tags: site.selector },
      https: { certificateArn: seed.certificateArn },
      healthCheck: { path: '/', matcher: '404' },
      ...specs[index]?.binding,
    })),
  });
  await control.resetCalls();
  return {
    sim,
    simulated,
    control,
    account,
    region,
    clients,
    person,
    vpcId: seed.vpcId,
    subnetIds: seed.subnetIds,
    otherVpcSubnetId: otherSubnet.Subnet?.SubnetId ?? '',
    strayTargetGroupArn: stray.TargetGroups?.[0]?.TargetGroupArn ?? '',
    certificateArn: seed.certificateArn,
    topicArn: topic.topicArn,
    controllerRoleArn,
    sites,
    config,
    site(name) {
      const found = sites.find((site) => site.name === name);
      if (!found) throw new Error(`no site ${name}`);
      return found;
    },
  };
}

/** Another load balancer and target group, in the seed's VPC, set up as the seed's. */
async function addSite(
  clients: AwsClients,
  seed: Awaited<ReturnType<typeof buildSeedTopology>>,
  spec: SiteSpec,
): Promise<Site> {
  const lb = await clients.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: `${spec.name}-alb`,
      Type: 'application',
      Subnets: [...seed.subnetIds],
      SecurityGroups: [seed.albSecurityGroupId],
    }),
  );
  const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const tg = await clients.elbv2.send(
    new CreateTargetGroupCommand({
      Name: `${spec.name}-8080`,
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: seed.vpcId,
      HealthCheckPath: '/',
      Matcher: { HttpCode: '404' },
    }),
  );
  const targetGroupArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  const https = await clients.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: seed.certificateArn }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  const http = await clients.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { ...REDIRECT } }],
    }),
  );
  return {
    name: spec.name,
    selector: spec.selector ?? { Role: spec.name },
    loadBalancerArn,
    targetGroupArn,
    httpListenerArn: http.Listeners?.[0]?.ListenerArn ?? '',
    httpsListenerArn: https.Listeners?.[0]?.ListenerArn ?? '',
  };
}

// ---- the controller ----

export interface ControllerOptions {
  readonly config?: WardenConfig;
  readonly telemetry?: Telemetry;
  readonly now?: () => number;
  /** Wraps every SDK client (for example to lose responses); the real `createDeps` wiring otherwise. */
  readonly intercept?: Interceptor;
}

export type Controller = Deps & { readonly recorded: ReturnType<typeof recordingTelemetry> };

/**
 * The controller's dependencies, as `createDeps` builds them in Lambda, pointed at the simulator; the SDK's
 * retries without their backoff, and the ELB rate limiter counting its tokens on a clock that never waits
 * (no test here is about its timing: at the default share, sitting out its refills took most of a run).
 */
export function controller(world: World, options: ControllerOptions = {}): Controller {
  const recorded = recordingTelemetry();
  const telemetry = options.telemetry ?? recorded;
  const config = options.config ?? world.config;
  const now = options.now ?? Date.now;
  if (!options.intercept) {
    return { ...world.simulated.deps(config, { telemetry, now, limiterClock: instantClock() }), recorded };
  }
  // The same clients createDeps makes (same retry settings), with a middleware under the retry strategy.
  const aws = world.simulated.controllerAws();
  const middleware = underRetries(options.intercept);
  const intercepted = <T extends ClientWithMiddleware>(client: T): T => {
    client.middlewareStack.addRelativeTo(middleware, UNDER_RETRIES);
    return client;
  };
  const elb = intercepted(createClient((settings) => new ElasticLoadBalancingV2Client(settings), aws));
  const ec2 = intercepted(createClient((settings) => new EC2Client(settings), aws));
  const sns = intercepted(createClient((settings) => new SNSClient(settings), aws));
  const dynamodb = intercepted(createClient((settings) => new DynamoDBClient(settings), aws));
  const autoscaling = intercepted(createClient((settings) => new AutoScalingClient(settings), aws));
  const tagging = intercepted(createClient((settings) => new ResourceGroupsTaggingAPIClient(settings), aws));
  const cloudtrail = intercepted(createClient((settings) => new CloudTrailClient(settings), aws));
  return {
    config,
    elb: new ElbV2LoadBalancing(elb),
    instances: new Ec2Instances(ec2),
    scaling: new AwsScalingGroups(autoscaling),
    tagging: new TaggingApiResources(tagging),
    history: new CloudTrailChangeHistory(cloudtrail),
    alerts: new SnsAlertPublisher(sns),
    state: new DynamoDbStateStore(dynamodb, config.alerts.stateTable),
    telemetry,
    now,
    recorded,
  };
}

type ClientWithMiddleware =
  | ElasticLoadBalancingV2Client
  | EC2Client
  | SNSClient
  | DynamoDBClient
  | ResourceGroupsTaggingAPIClient
  | AutoScalingClient
  | CloudTrailClient;

/**
 * Called with each attempt's command name after the request reached the server and its response came
 * back; throwing here makes the SDK see a failed attempt (its retry strategy decides what happens next).
 */
export type Interceptor = (commandName: string) => void;

const UNDER_RETRIES = {
  relation: 'after',
  toMiddleware: 'retryMiddleware',
  name: 'reliabilityIntercept',
} as const;

function underRetries(intercept: Interceptor) {
  return (next: FinalizeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    async (args: FinalizeHandlerArguments<object>) => {
      const result = await next(args);
      intercept(context.commandName ?? '');
      return result;
    };
}

/** A socket that died after the request went out: the SDK's own shape for it (retryable TimeoutError). */
export function lostResponse(commandName: string): Error {
  return Object.assign(new Error(`simulated lost response to ${commandName}: socket hang up`), {
    name: 'TimeoutError',
  });
}

// ---- events ----

/**
 * Delivers every event recorded since `cursor` to the use-cases, as the deployed EventBridge rules route them
 * (not the controller's own calls); a use-case that throws is kept in `errors`, as Lambda would retry it.
 */
export async function pump(
  world: World,
  deps: Deps,
  cursor: EventFeed,
): Promise<{ results: InvocationResult[]; errors: unknown[] }> {
  const errors: unknown[] = [];
  const invoke = useCases(deps);
  const { delivered } = await cursor.deliver(world.controllerRoleArn, (target, event) =>
    invoke(target, event).catch((error: unknown) => {
      errors.push(error);
      return undefined;
    }),
  );
  return { results: delivered, errors };
}

/** A cursor on the events recorded from now on. */
export function eventCursor(world: World): Promise<EventFeed> {
  return EventFeed.open(world.control);
}

/** Events recorded since `cursor` (without moving it). */
export function eventsSince(_world: World, cursor: EventFeed): Promise<SimEvent[]> {
  return cursor.peek();
}

// ---- observations ----

const EC2_WRITES = new Set([
  'RunInstances',
  'StartInstances',
  'StopInstances',
  'TerminateInstances',
  'CreateTags',
  'DeleteTags',
]);

/** Calls that change a load balancer, a target group or an instance. */
export function mutatingCalls(counts: CallCounts): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [action, count] of Object.entries(counts.elbv2))
    if (ELBV2_WRITE_ACTIONS.has(action)) found[action] = count;
  for (const [action, count] of Object.entries(counts.ec2)) if (EC2_WRITES.has(action)) found[action] = count;
  return found;
}

export function totalCalls(counts: CallCounts): number {
  return Object.values(counts).reduce(
    (sum, service) => sum + Object.values(service).reduce((a, b) => a + b, 0),
    0,
  );
}

export interface Published {
  readonly subject: string;
  readonly kind: string;
  readonly severity: string;
  readonly binding: string;
  /** The text people read (email, SMS's subject aside). */
  readonly text: string;
  /** The JSON document machines read (the `sqs` entry), parsed. */
  readonly document: Record<string, unknown>;
  /** Every protocol entry of the `MessageStructure: json` envelope. */
  readonly envelope: Record<string, string>;
  readonly raw: string;
}

/** The SNS messages the simulator received, parsed as a subscriber would. */
export async function published(world: World): Promise<Published[]> {
  const { messages } = await world.control.sns();
  return messages.map((message) => {
    const envelope = JSON.parse(message.message) as Record<string, string>;
    return {
      subject: message.subject ?? '',
      kind: message.messageAttributes.kind?.Value ?? '',
      severity: message.messageAttributes.severity?.Value ?? '',
      binding: message.messageAttributes.binding?.Value ?? '',
      text: envelope.default ?? '',
      document: JSON.parse(envelope.sqs ?? 'null') as Record<string, unknown>,
      envelope,
      raw: message.message,
    };
  });
}

/** The targets of a group that are not on their way out, as `id:port`. */
export async function registered(world: World, targetGroupArn: string): Promise<string[]> {
  const output = await world.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
  );
  return (output.TargetHealthDescriptions ?? [])
    .filter((description) => description.TargetHealth?.State !== 'draining')
    .map((description) => `${description.Target?.Id}:${description.Target?.Port}`)
    .sort();
}

export async function listenersOf(
  world: World,
  site: Site,
): Promise<{ http?: Listener; https?: Listener; rules: Rule[] }> {
  const output = await world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: site.loadBalancerArn }),
  );
  const http = output.Listeners?.find((listener) => listener.Port === 80);
  const https = output.Listeners?.find((listener) => listener.Port === 443);
  const rules = http
    ? ((await world.clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: http.ListenerArn }))).Rules ??
      [])
    : [];
  return { http, https, rules };
}

export async function healthCheckOf(world: World, site: Site): Promise<{ path?: string; matcher?: string }> {
  const output = await world.clients.elbv2.send(
    new DescribeTargetGroupsCommand({ TargetGroupArns: [site.targetGroupArn] }),
  );
  const group = output.TargetGroups?.[0];
  return { path: group?.HealthCheckPath, matcher: group?.Matcher?.HttpCode };
}

/**
 * What is wrong with a site's listeners, judged independently of the controller's code: port 80 speaks HTTP
 * and redirects with 301 to HTTPS:443 keeping host, path and query; no rule on it serves plain HTTP (unless
 * `keepRules` says they are to be reported only); port 443 speaks HTTPS with a certificate and forwards
 * only to the site's group.
 */
export async function listenerViolations(
  world: World,
  site: Site,
  /** `forward`: the binding's `https.forward` (default `includes-target-group`: a canary with our group is fine). */
  options: { keepRules?: boolean; forward?: 'exact' | 'includes-target-group' } = {},
): Promise<string[]> {
  const { http, https, rules } = await listenersOf(world, site);
  const problems: string[] = [];
  if (!http) problems.push('no listener on port 80');
  else {
    if (http.Protocol !== 'HTTP') problems.push(`port 80 speaks ${http.Protocol}`);
    const [only, ...more] = http.DefaultActions ?? [];
    const redirect = only?.RedirectConfig;
    const expected = { ...REDIRECT };
    const actual = {
      Protocol: redirect?.Protocol?.toUpperCase(),
      Port: redirect?.Port,
      Host: redirect?.Host,
      Path: redirect?.Path,
      Query: redirect?.Query,
      StatusCode: redirect?.StatusCode,
    };
    if (only?.Type !== 'redirect' || more.length > 0 || JSON.stringify(actual) !== JSON.stringify(expected))
      problems.push(`port 80 default actions ${JSON.stringify(http.DefaultActions)}`);
    if (!options.keepRules) {
      for (const rule of rules) {
        if (rule.IsDefault) continue;
        const plain = (rule.Actions ?? []).some(
          (action) =>
            action.Type === 'forward' ||
            action.Type === 'fixed-response' ||
            (action.Type === 'redirect' && action.RedirectConfig?.Protocol?.toUpperCase() !== 'HTTPS'),
        );
        if (plain) problems.push(`rule ${rule.Priority} on port 80 serves plain HTTP`);
      }
    }
  }
  if (!https) problems.push('no listener on port 443');
  else {
    if (https.Protocol !== 'HTTPS') problems.push(`port 443 speaks ${https.Protocol}`);
    if ((https.Certificates ?? []).length === 0) problems.push('port 443 has no certificate');
    const actions = https.DefaultActions ?? [];
    const last = actions.at(-1);
    const groups = (last?.ForwardConfig?.TargetGroups ?? [])
      .filter((group) => (group.Weight ?? 1) > 0)
      .map((group) => group.TargetGroupArn);
    const weighted = groups.length > 0 ? groups : [last?.TargetGroupArn];
    const forwardsToSite =
      last?.Type === 'forward' &&
      (options.forward === 'exact'
        ? weighted.every((arn) => arn === site.targetGroupArn)
        : weighted.includes(site.targetGroupArn));
    if (actions.length !== 1 || !forwardsToSite)
      problems.push(`port 443 default actions ${JSON.stringify(actions)}`);
  }
  return problems;
}

export async function launch(
  world: World,
  count: number,
  tags: Record<string, string>,
  subnetId: string = world.subnetIds[0],
): Promise<string[]> {
  return launchInstances(world.clients, { count, subnetId, tags });
}

/**
 * An EC2 Auto Scaling group with `targetGroupArn` attached, launched to `desired` and in service (the group
 * registered its instances itself); returns its instances.
 */
export async function scalingGroup(
  world: World,
  name: string,
  options: { targetGroupArn: string; desired: number; maxSize?: number; tags: Record<string, string> },
): Promise<string[]> {
  const autoscaling = createClient(
    (settings) => new AutoScalingClient(settings),
    world.simulated.awsAs('AKIARELIABILITYASG01'),
  );
  try {
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: 0,
        MaxSize: options.maxSize ?? Math.max(options.desired, 1) * 2,
        DesiredCapacity: options.desired,
        LaunchTemplate: { LaunchTemplateName: name, Version: '$Latest' },
        VPCZoneIdentifier: world.subnetIds.join(','),
        TargetGroupARNs: [options.targetGroupArn],
        Tags: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: true })),
      }),
    );
    await world.control.clock(0);
    const output = await autoscaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    return (output.AutoScalingGroups?.[0]?.Instances ?? []).map((instance) => instance.InstanceId ?? '');
  } finally {
    autoscaling.destroy();
  }
}

/** How long a new target stays `initial` in the simulator: registration (5 s), then one 30 s health check. */
export const INITIAL_HEALTH_CHECK_MS = 35_000;

/** Lets the simulated clock run until targets registered by now have passed their initial health check. */
export async function passInitialHealthChecks(world: World): Promise<void> {
  await world.control.clock(INITIAL_HEALTH_CHECK_MS);
}

/**
 * One time for the controller and AWS: the controller's `now` reads it and `advance` moves the simulator's
 * clock with it, so what AWS does by its clock (health checks, draining, DynamoDB's TTL deletion, event
 * times) agrees with what the controller sees.
 */
export async function sharedClock(
  world: World,
): Promise<{ now: () => number; advance(ms: number): Promise<void> }> {
  let current = Date.parse((await world.control.clock(0)).now);
  return {
    now: () => current,
    async advance(ms) {
      current += ms;
      await world.control.clock(ms);
    },
  };
}
