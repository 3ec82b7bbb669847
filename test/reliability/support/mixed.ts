/**
 * "Everything at once": a world in which one sweep has to call every AWS action the controller uses.
 *
 *   - the HTTPS listener, which the first sweep saw with an SNI certificate, was deleted (CreateListener, then
 *     AddListenerCertificates to give it its SNI certificate back), the redirect changed to 302 (ModifyListener), a rule
 *     forwarding plain HTTP was added on port 80 (DeleteRule), the health check matcher changed
 *     (ModifyTargetGroup);
 *   - instance D was launched (RegisterTargets, then the ownership record: BatchWriteItem), instance B
 *     was stopped (DeregisterTargets), instance A, which had an alert record after one unhealthy sweep,
 *     was deregistered by hand (its record is deleted: DeleteItem); C stays;
 *   - instance E belongs to an Auto Scaling group that has the target group attached and registered it
 *     (DescribeAutoScalingGroups: E is the group's, left to it);
 *   - the drift is alerted (Publish, after the repair log is written: PutItem), all of it read first
 *     (Query, DescribeInstances, DescribeTargetGroups, DescribeTargetHealth, DescribeListeners, DescribeRules);
 *   - a discovery policy looks for tagged load balancers (GetResources) and finds none: `web` stays the one
 *     binding.
 *
 * Its desired state is independent of how it is reached: both listeners as desired, the health check
 * matcher back to 404, targets C, D and E, and D owned by the controller (so a later retag deregisters it).
 */
import { CreateTagsCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import {
  AddListenerCertificatesCommand,
  CreateRuleCommand,
  DeleteListenerCommand,
  DeregisterTargetsCommand,
  DescribeListenerCertificatesCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseConfig, type WardenConfig } from '../../../functions/config.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import type { Simulator } from '../../../sim/index.ts';
import {
  buildWorld,
  type Controller,
  type ControllerOptions,
  controller,
  healthCheckOf,
  launch,
  listenerViolations,
  type Published,
  passInitialHealthChecks,
  published,
  registered,
  scalingGroup,
  type World,
} from './world.ts';

/** A second certificate on the HTTPS listener (SNI), which a recreated listener must get back. */
const sniCertificateOf = (site: { readonly certificateArn: string }) =>
  site.certificateArn.replace(/certificate\/.*$/, 'certificate/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9');

export interface MixedWorld {
  readonly world: World;
  readonly deps: Controller;
  readonly ids: {
    readonly a: string;
    readonly b: string;
    readonly c: string;
    readonly d: string;
    readonly e: string;
  };
}

export async function arrangeMixedWorld(
  sim: Simulator,
  options: ControllerOptions = {},
): Promise<MixedWorld> {
  const world = await buildWorld(sim);
  const deps = controller(world, { config: withDiscovery(world.config), ...options });
  const site = world.site('web');
  const [a = '', b = '', c = ''] = await launch(world, 3, { Role: 'web' });
  await world.control.certificate(sniCertificateOf(world));
  await world.person.elbv2.send(
    new AddListenerCertificatesCommand({
      ListenerArn: site.httpsListenerArn,
      Certificates: [{ CertificateArn: sniCertificateOf(world) }],
    }),
  );
  await sweep(deps);
  await passInitialHealthChecks(world);
  await world.control.targetHealth({ targetGroupArn: site.targetGroupArn, targetId: a, state: 'unhealthy' });
  await sweep(deps);
  await world.person.elbv2.send(
    new DeregisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [{ Id: a, Port: 8080 }] }),
  );
  await world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [a, b] }));
  const [d = ''] = await launch(world, 1, { Role: 'web' });
  const [e = ''] = await scalingGroup(world, 'web-asg', {
    targetGroupArn: site.targetGroupArn,
    desired: 1,
    tags: { Role: 'web' },
  });
  await world.person.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: site.httpListenerArn,
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' } },
      ],
    }),
  );
  await world.person.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: site.httpListenerArn,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
      Actions: [{ Type: 'forward', TargetGroupArn: site.targetGroupArn }],
    }),
  );
  await world.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.httpsListenerArn }));
  await world.person.elbv2.send(
    new ModifyTargetGroupCommand({ TargetGroupArn: site.targetGroupArn, Matcher: { HttpCode: '200' } }),
  );
  await world.control.resetCalls();
  return { world, deps, ids: { a, b, c, d, e } };
}

/** The world's configuration with a discovery policy that selects no load balancer of it. */
function withDiscovery(config: WardenConfig): WardenConfig {
  return parseConfig({
    ...config,
    discovery: [
      {
        name: 'fleet',
        selector: { tags: { 'alb-warden:guard': 'true' } },
        defaults: config.bindings[0] && { instanceSelector: config.bindings[0].instanceSelector },
      },
    ],
  });
}

/** What is still wrong in a mixed world; checking ownership costs one more sweep (a retag of D). */
export async function mixedViolations(mixed: MixedWorld, deps: Controller = mixed.deps): Promise<string[]> {
  const { world, ids } = mixed;
  const site = world.site('web');
  const problems = await listenerViolations(world, site);
  const https = (
    await world.clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: site.loadBalancerArn }))
  ).Listeners?.find((listener) => listener.Port === 443);
  if (https?.ListenerArn) {
    const { Certificates = [] } = await world.clients.elbv2.send(
      new DescribeListenerCertificatesCommand({ ListenerArn: https.ListenerArn }),
    );
    if (!Certificates.some((certificate) => certificate.CertificateArn === sniCertificateOf(world)))
      problems.push('the recreated HTTPS listener lost its SNI certificate');
  }
  const check = await healthCheckOf(world, site);
  if (check.matcher !== '404') problems.push(`health check matcher ${check.matcher}`);
  const targets = await registered(world, site.targetGroupArn);
  const expected = [ids.c, ids.d, ids.e].map((id) => `${id}:8080`).sort();
  if (JSON.stringify(targets) !== JSON.stringify(expected))
    problems.push(`targets ${targets.join(', ')} instead of ${expected.join(', ')}`);
  if (problems.length > 0) return problems;
  await world.clients.ec2.send(
    new CreateTagsCommand({ Resources: [ids.d], Tags: [{ Key: 'Role', Value: 'retired' }] }),
  );
  await sweep(deps);
  const after = await registered(world, site.targetGroupArn);
  if (after.includes(`${ids.d}:8080`))
    problems.push('D, registered by the controller, was not deregistered when its tags stopped matching');
  return problems;
}

/**
 * The facts the alerts told the on-call: one entry per drift reported (listener drift summaries, the health
 * check's drift), or the kind for other alerts. A fact missing is an alert lost; twice is a duplicate.
 */
export function alertFacts(messages: readonly Published[]): string[] {
  const facts: string[] = [];
  for (const message of messages) {
    const details = (message.document.details ?? {}) as {
      drifts?: { summary?: string }[];
      findings?: { summary?: string }[];
      drift?: string;
      outcome?: string;
    };
    const prefix = `${message.binding} ${message.kind}`;
    if (message.kind === 'DriftRepaired' && details.drifts) {
      for (const drift of [...details.drifts, ...(details.findings ?? [])])
        facts.push(`${prefix} ${details.outcome}: ${drift.summary}`);
    } else if (message.kind === 'DriftRepaired' && details.drift !== undefined) {
      facts.push(`${prefix} ${details.outcome}: health check: ${details.drift}`);
    } else facts.push(prefix);
  }
  return facts.sort();
}

export async function mixedFacts(world: World): Promise<string[]> {
  return alertFacts(await published(world));
}
