/**
 * The controller never makes things worse:
 *
 *   - the safety limit holds for any selector and fleet: a sweep never deregisters more than
 *     maxDeregisterFraction of a group's targets, and never acts on a selector that matches nothing;
 *   - the guard never modifies a listener that already matches, however the desired action is spelled
 *     (written through the SDK, then the event and a sweep);
 *   - no repair lowers security: it never removes a certificate, never changes the SSL policy of a listener
 *     that speaks HTTPS, never makes port 80 forward or answer over plain HTTP, never drops authentication
 *     (a property over plans for arbitrary observed listeners, and end to end on the simulator).
 */
import { CreateTagsCommand, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  type Action,
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  CreateRuleCommand,
  DeleteListenerCommand,
  DescribeListenerCertificatesCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Binding } from '../../functions/config.ts';
import { planListeners, type RepairStep } from '../../functions/domain/listeners.ts';
import type { Action as DomainAction, Listener, Rule } from '../../functions/domain/model.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { SimEvent } from '../../sim/control.ts';
import type { Simulator } from '../../sim/index.ts';
import {
  CERT_ARN,
  HTTP_LISTENER_ARN,
  HTTPS_LISTENER_ARN,
  LB_ARN,
  OTHER_TG_ARN,
  seedConfig,
  TG_ARN,
} from '../support/builders.ts';
import { SELECTORS } from './support/arbitrary.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  closeSimulator,
  controller,
  eventCursor,
  eventsSince,
  launch,
  listenersOf,
  mutatingCalls,
  openSimulator,
  published,
  pump,
  REDIRECT,
  registered,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 120_000 });
afterAll(() => reportFigures('safety.test.ts'));

const SAFETY_RUNS = 60;
const SPELLING_RUNS = 60;
const PLAN_RUNS = 3000;

let sim: Simulator;
beforeAll(async () => {
  sim = await openSimulator();
});
afterAll(() => closeSimulator(sim));

const isController = (world: World, event: SimEvent) =>
  (event.detail.userIdentity as { sessionContext?: { sessionIssuer?: { arn?: string } } }).sessionContext
    ?.sessionIssuer?.arn === world.controllerRoleArn;

describe('property: the safety limit holds for any selector and fleet', () => {
  const fleet = fc.record({
    selector: fc.constantFrom(...SELECTORS),
    owned: fc.integer({ min: 1, max: 12 }),
    byHand: fc.integer({ min: 0, max: 3 }),
    changes: fc.array(fc.constantFrom('keep', 'stop', 'terminate', 'retag', 'drop a tag'), {
      minLength: 12,
      maxLength: 12,
    }),
    byHandStopped: fc.boolean(),
    fraction: fc.constantFrom(0, 0.1, 0.25, 1 / 3, 0.5, 0.75, 1),
  });

  it(`never deregisters more than maxDeregisterFraction per sweep (${SAFETY_RUNS} fleets)`, async () => {
    count('properties');
    await fc.assert(
      fc.asyncProperty(fleet, async (spec) => {
        count('cases');
        // Prepare: the controller registers (and owns) the matching fleet; people add a few by hand.
        const world = await buildWorld(sim, {
          sites: [{ name: 'web', selector: spec.selector }],
          config: { safety: { maxDeregisterFraction: spec.fraction }, limits: { apiShare: 1 } },
        });
        const site = world.site('web');
        const owned = await launch(world, spec.owned, { ...spec.selector, Team: 'shop' });
        const byHand = spec.byHand > 0 ? await launch(world, spec.byHand, { Role: 'legacy' }) : [];
        if (byHand.length > 0) {
          await world.person.elbv2.send(
            new RegisterTargetsCommand({
              TargetGroupArn: site.targetGroupArn,
              Targets: byHand.map((Id) => ({ Id, Port: 8080 })),
            }),
          );
          if (spec.byHandStopped)
            await world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: byHand }));
        }
        await sweep(controller(world));
        const gone: string[] = [];
        for (const [index, id] of owned.entries()) {
          const change = spec.changes[index] ?? 'keep';
          if (change === 'stop')
            await world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
          if (change === 'terminate')
            await world.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
          if (change === 'retag')
            await world.clients.ec2.send(
              new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'Role', Value: 'retired' }] }),
            );
          if (change === 'drop a tag') {
            const [key = 'Role'] = Object.keys(spec.selector).slice(-1);
            await world.clients.ec2.send(
              new CreateTagsCommand({ Resources: [id], Tags: [{ Key: key, Value: 'x' }] }),
            );
          }
          if (change !== 'keep') gone.push(id);
        }
        // What is registered now is what the sweep decides on (ELB may already be draining a terminated one).
        const before = await registered(world, site.targetGroupArn);
        const leaving = gone.filter((id) => before.includes(`${id}:8080`));
        const since = await eventCursor(world);

        // Act
        await sweep(controller(world));

        // Assess
        const deregistered = (await eventsSince(world, since))
          .filter((event) => isController(world, event) && event.detail.eventName === 'DeregisterTargets')
          .flatMap((event) => (event.detail.requestParameters as { targets: { id: string }[] }).targets);
        const allowed = Math.floor(spec.fraction * before.length);
        expect(deregistered.length).toBeLessThanOrEqual(allowed);
        // Stopped and terminated instances still carry the tags: only retagged ones stop matching.
        const stillMatching = spec.changes
          .slice(0, owned.length)
          .some((change) => change !== 'retag' && change !== 'drop a tag');
        const alerts = (await published(world)).map((alert) => alert.kind);
        if (leaving.length > allowed || !stillMatching) {
          // Withheld, all of it, and said so.
          if (leaving.length > 0) {
            expect(deregistered).toEqual([]);
            expect(alerts).toContain('RegistrationFailed');
          }
        } else {
          expect(deregistered.map((target) => target.id).sort()).toEqual([...leaving].sort());
          expect(alerts).not.toContain('RegistrationFailed');
        }
      }),
      { numRuns: SAFETY_RUNS },
    );
  });
});

interface ForwardSpelling {
  readonly shape: 'arn' | 'config' | 'both' | 'weighted with a zero' | 'sticky';
  readonly weight: number;
  readonly order: number | undefined;
}

describe('property: the guard never modifies a listener that already matches', () => {
  const optional = <T>(value: T) => fc.constantFrom<T | undefined>(value, undefined);
  const order = fc.option(fc.integer({ min: 1, max: 50000 }), { nil: undefined });
  const redirectSpelling = fc
    .record({
      config: fc.record({
        Protocol: fc.constantFrom('HTTPS', 'https'),
        Port: fc.constant('443'),
        Host: optional('#{host}'),
        Path: optional('/#{path}'),
        Query: optional('#{query}'),
        StatusCode: fc.constant('HTTP_301'),
      }),
      order,
    })
    .map(
      ({ config, order }): Action => ({
        Type: 'redirect',
        // The SDK leaves undefined members out of the request: AWS fills them in.
        RedirectConfig: config,
        ...(order === undefined ? {} : { Order: order }),
      }),
    );
  const forwardSpelling = fc.record({
    shape: fc.constantFrom('arn', 'config', 'both', 'weighted with a zero', 'sticky'),
    weight: fc.integer({ min: 1, max: 999 }),
    order,
  });
  function forwardAction(spec: ForwardSpelling, targetGroupArn: string, stray: string): Action {
    const base: Action = { Type: 'forward', ...(spec.order === undefined ? {} : { Order: spec.order }) };
    const weighted = { TargetGroupArn: targetGroupArn, Weight: spec.weight };
    switch (spec.shape) {
      case 'arn':
        return { ...base, TargetGroupArn: targetGroupArn };
      case 'config':
        return { ...base, ForwardConfig: { TargetGroups: [weighted] } };
      case 'both':
        return {
          ...base,
          TargetGroupArn: targetGroupArn,
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn }] },
        };
      case 'weighted with a zero':
        return { ...base, ForwardConfig: { TargetGroups: [{ TargetGroupArn: stray, Weight: 0 }, weighted] } };
      default:
        return {
          ...base,
          ForwardConfig: {
            TargetGroups: [weighted],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
          },
        };
    }
  }
  const spellings = fc.record({
    redirect: redirectSpelling,
    through: fc.constantFrom('ModifyListener', 'ModifyRule on the default rule'),
    forward: forwardSpelling,
    // Rules that send HTTP to HTTPS are not foreign, whatever the host or status.
    rules: fc.array(
      fc.record({
        Host: fc.constantFrom('#{host}', 'www.example.com'),
        StatusCode: fc.constantFrom('HTTP_301', 'HTTP_302'),
      }),
      { maxLength: 2 },
    ),
  });

  it(`for any equivalent spelling, written through the SDK, then the events and a sweep (${SPELLING_RUNS} cases)`, async () => {
    count('properties');
    await fc.assert(
      fc.asyncProperty(spellings, async (spec) => {
        count('cases');
        // Prepare
        const world = await buildWorld(sim, { config: { limits: { apiShare: 1 } } });
        const site = world.site('web');
        const forward = forwardAction(spec.forward, site.targetGroupArn, world.strayTargetGroupArn);
        const cursor = await eventCursor(world);
        if (spec.through === 'ModifyListener') {
          await world.person.elbv2.send(
            new ModifyListenerCommand({ ListenerArn: site.httpListenerArn, DefaultActions: [spec.redirect] }),
          );
        } else {
          const rules = await world.person.elbv2.send(
            new DescribeRulesCommand({ ListenerArn: site.httpListenerArn }),
          );
          const defaultRule = rules.Rules?.find((rule) => rule.IsDefault)?.RuleArn;
          await world.person.elbv2.send(
            new ModifyRuleCommand({ RuleArn: defaultRule, Actions: [spec.redirect] }),
          );
        }
        await world.person.elbv2.send(
          new ModifyListenerCommand({ ListenerArn: site.httpsListenerArn, DefaultActions: [forward] }),
        );
        for (const [index, rule] of spec.rules.entries()) {
          await world.person.elbv2.send(
            new CreateRuleCommand({
              ListenerArn: site.httpListenerArn,
              Priority: 20 + index,
              Conditions: [{ Field: 'host-header', Values: [`old${index}.example.com`] }],
              Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', ...rule } }],
            }),
          );
        }
        await world.control.resetCalls();

        // Act
        const deps = controller(world);
        const { results, errors } = await pump(world, deps, cursor);
        await sweep(deps);

        // Assess
        expect(errors).toEqual([]);
        expect(results.length).toBeGreaterThanOrEqual(2);
        expect(mutatingCalls(await world.control.calls())).toEqual({});
        expect(await published(world)).toEqual([]);
      }),
      { numRuns: SPELLING_RUNS },
    );
  });
});

describe('property: no repair plan lowers security', () => {
  const config = seedConfig();
  const withCertificate = config.bindings[0] as Binding;
  const withoutCertificate = seedConfig({}, { https: {} }).bindings[0] as Binding;
  const reportOnly = seedConfig({}, { http: { foreignRules: 'report' } }).bindings[0] as Binding;
  const POLICIES = [
    'ELBSecurityPolicy-2016-08',
    'ELBSecurityPolicy-TLS13-1-2-2021-06',
    'ELBSecurityPolicy-TLS13-1-3-2021-06',
  ];
  const OTHER_CERT = CERT_ARN.replace(/certificate\/.*/, 'certificate/0a0a0a0a-1b1b-2c2c-3d3d-4e4e4e4e4e4e');

  const action: fc.Arbitrary<DomainAction> = fc.oneof(
    fc.record({
      Type: fc.constant('redirect'),
      RedirectConfig: fc.record(
        {
          Protocol: fc.constantFrom('HTTPS', 'HTTP', 'https', '#{protocol}'),
          Port: fc.constantFrom('443', '80', '#{port}', '8443'),
          Host: fc.constantFrom('#{host}', 'example.com'),
          StatusCode: fc.constantFrom('HTTP_301', 'HTTP_302'),
        },
        { requiredKeys: ['StatusCode'] },
      ),
    }),
    fc.record({ Type: fc.constant('forward'), TargetGroupArn: fc.constantFrom(TG_ARN, OTHER_TG_ARN) }),
    fc.record({
      Type: fc.constant('forward'),
      ForwardConfig: fc.record({
        TargetGroups: fc.uniqueArray(
          fc.record({
            TargetGroupArn: fc.constantFrom(TG_ARN, OTHER_TG_ARN),
            Weight: fc.integer({ min: 0, max: 3 }),
          }),
          { selector: (group) => group.TargetGroupArn, minLength: 1, maxLength: 2 },
        ),
      }),
    }),
    fc.record({
      Type: fc.constant('fixed-response'),
      FixedResponseConfig: fc.record({ StatusCode: fc.constantFrom('200', '503') }),
    }),
    fc.record({
      Type: fc.constantFrom('authenticate-oidc', 'authenticate-cognito'),
      Order: fc.integer({ min: 1, max: 3 }),
    }),
  );
  const actions = fc.array(action, { minLength: 1, maxLength: 3 });
  const listener = (port: number, arn: string) =>
    fc.option(
      fc
        .record({
          protocol: fc.constantFrom('HTTP', 'HTTPS'),
          certificates: fc.subarray([CERT_ARN, OTHER_CERT]),
          policy: fc.constantFrom(...POLICIES),
          defaultActions: actions,
        })
        .map(
          ({ protocol, certificates, policy, defaultActions }): Listener => ({
            arn,
            loadBalancerArn: LB_ARN,
            port,
            protocol,
            sslPolicy: protocol === 'HTTPS' ? policy : undefined,
            certificateArns: protocol === 'HTTPS' ? certificates : [],
            defaultActions,
          }),
        ),
      { nil: undefined },
    );
  const rules = fc.array(actions, { maxLength: 3 }).map((list) =>
    list.map(
      (ruleActions, index): Rule => ({
        arn: `${HTTP_LISTENER_ARN.replace(':listener/', ':listener-rule/')}/r${index}`,
        priority: String(index + 1),
        isDefault: false,
        conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
        actions: ruleActions,
      }),
    ),
  );
  const observed = fc.record({
    binding: fc.constantFrom(withCertificate, withoutCertificate, reportOnly),
    http: listener(80, HTTP_LISTENER_ARN),
    https: listener(443, HTTPS_LISTENER_ARN),
    rules,
  });

  const isAuthentication = (candidate: DomainAction) => candidate.Type.startsWith('authenticate');
  const servesPlain = (candidate: DomainAction) =>
    candidate.Type === 'forward' ||
    candidate.Type === 'fixed-response' ||
    (candidate.Type === 'redirect' &&
      (candidate.RedirectConfig?.Protocol ?? '#{protocol}').toUpperCase() !== 'HTTPS');

  function violations(
    binding: Binding,
    http: Listener | undefined,
    https: Listener | undefined,
    rulesOf: Rule[],
    steps: readonly RepairStep[],
  ): string[] {
    const found: string[] = [];
    const current = (step: RepairStep) => (step.listener === 'http' ? http : https);
    for (const step of steps) {
      const label = `${step.type} ${step.listener}`;
      // Giving a recreated listener its SNI certificates back changes neither its actions nor its TLS.
      if (step.type === 'add-certificates') continue;
      if (step.type === 'delete-rule') {
        const rule = rulesOf.find((candidate) => candidate.arn === step.ruleArn);
        if (!rule || rule.isDefault || !rule.actions.some(servesPlain))
          found.push(`${label}: deletes a rule that does not serve plain HTTP`);
        continue;
      }
      const { request } = step;
      const before = current(step);
      if (step.listener === 'http') {
        const only = request.defaultActions.length === 1 ? request.defaultActions[0] : undefined;
        if (only?.Type !== 'redirect' || only.RedirectConfig?.Protocol !== 'HTTPS')
          found.push(`${label}: port 80 would not redirect to HTTPS`);
        if (before && before.protocol !== 'HTTP')
          found.push(`${label}: touches a port-80 listener that speaks ${before.protocol}`);
        if (request.certificateArns || request.sslPolicy) found.push(`${label}: sets TLS on port 80`);
      } else {
        if (step.type === 'modify-listener' && before && before.certificateArns.length > 0) {
          if (request.certificateArns !== undefined) found.push(`${label}: replaces the certificates`);
          if (request.sslPolicy !== undefined) found.push(`${label}: changes the SSL policy`);
          if (request.protocol !== undefined && request.protocol !== 'HTTPS')
            found.push(`${label}: drops TLS`);
        }
        if (before?.protocol !== 'HTTPS') {
          if (request.protocol !== 'HTTPS') found.push(`${label}: does not speak HTTPS`);
          if (JSON.stringify(request.certificateArns) !== JSON.stringify([binding.https.certificateArn]))
            found.push(`${label}: not the configured certificate`);
          if (request.sslPolicy !== binding.https.sslPolicy)
            found.push(`${label}: not the configured policy`);
        }
        const kept = (before?.defaultActions ?? []).filter(isAuthentication);
        if (!kept.every((auth) => request.defaultActions.some((candidate) => candidate.Type === auth.Type)))
          found.push(`${label}: drops authentication`);
        const last = request.defaultActions.at(-1);
        if (last?.Type !== 'forward' || last.TargetGroupArn !== binding.targetGroupArn)
          found.push(`${label}: does not end with the forward to the bound group`);
      }
    }
    // Port 80 is only touched when HTTPS can serve once the plan is applied.
    if (steps.some((step) => step.listener === 'http')) {
      const httpsStep = steps.find((step) => step.listener === 'https' && 'request' in step);
      const canServe = httpsStep
        ? 'request' in httpsStep &&
          (httpsStep.request.certificateArns?.length ?? https?.certificateArns.length ?? 0) > 0
        : https?.protocol === 'HTTPS' &&
          https.certificateArns.length > 0 &&
          https.defaultActions.at(-1) !== undefined;
      if (!canServe) found.push('touches port 80 while HTTPS cannot serve');
    }
    return found;
  }

  it(`holds for ${PLAN_RUNS} arbitrary observed listener pairs and rules`, () => {
    count('properties');
    const planned = { withSteps: 0, touchingPort80: 0, blocked: 0 };
    fc.assert(
      fc.property(observed, ({ binding, http, https, rules: rulesOf }) => {
        count('cases');
        const plan = planListeners(binding, {
          listeners: [http, https].filter((entry) => entry !== undefined),
          httpRules: http ? rulesOf : [],
        });
        expect(violations(binding, http, https, http ? rulesOf : [], plan.steps)).toEqual([]);
        if (plan.steps.length > 0) planned.withSteps += 1;
        if (plan.steps.some((step) => step.listener === 'http')) planned.touchingPort80 += 1;
        if (plan.blocked.length > 0) planned.blocked += 1;
      }),
      { numRuns: PLAN_RUNS },
    );
    // Not vacuous: most plans repair something, many touch port 80, some are blocked.
    expect(planned.withSteps).toBeGreaterThan(PLAN_RUNS / 2);
    expect(planned.touchingPort80).toBeGreaterThan(PLAN_RUNS / 10);
    expect(planned.blocked).toBeGreaterThan(PLAN_RUNS / 20);
  });
});

describe('no repair lowers security, end to end', () => {
  it('keeps every certificate and a newer SSL policy of the HTTPS listener while repairing its action', async () => {
    // Prepare: HTTPS with a second certificate (SNI) and a stricter policy than configured, then a fixed
    // response. ModifyListener takes exactly one (default) certificate; more go through AddListenerCertificates.
    const world = await buildWorld(sim);
    const site = world.site('web');
    const second = world.certificateArn.replace(
      /certificate\/.*/,
      'certificate/0a0a0a0a-1b1b-2c2c-3d3d-4e4e4e4e4e4e',
    );
    await world.control.certificate(second);
    await world.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: site.httpsListenerArn,
        Certificates: [{ CertificateArn: world.certificateArn }],
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
      }),
    );
    await world.person.elbv2.send(
      new AddListenerCertificatesCommand({
        ListenerArn: site.httpsListenerArn,
        Certificates: [{ CertificateArn: second }],
      }),
    );

    // Act
    await sweep(controller(world));

    // Assess
    const { https } = await listenersOf(world, site);
    const listed = await world.person.elbv2.send(
      new DescribeListenerCertificatesCommand({ ListenerArn: site.httpsListenerArn }),
    );
    expect(https?.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-3-2021-06');
    expect(https?.Certificates?.map((certificate) => certificate.CertificateArn)).toEqual([
      world.certificateArn,
    ]);
    expect(
      listed.Certificates?.map((certificate) => [certificate.CertificateArn, certificate.IsDefault]),
    ).toEqual([
      [world.certificateArn, true],
      [second, false],
    ]);
    expect(https?.DefaultActions?.map((entry) => [entry.Type, entry.TargetGroupArn])).toEqual([
      ['forward', site.targetGroupArn],
    ]);
  });

  it('never takes the certificate off a port-80 listener someone switched to HTTPS: it says so instead', async () => {
    const world = await buildWorld(sim);
    const site = world.site('web');
    await world.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: site.httpListenerArn,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: world.certificateArn }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: site.targetGroupArn }],
      }),
    );
    await world.control.resetCalls();

    await sweep(controller(world));
    await sweep(controller(world));

    expect(mutatingCalls(await world.control.calls())).toEqual({});
    const { http } = await listenersOf(world, site);
    expect(http?.Protocol).toBe('HTTPS');
    expect(http?.Certificates).toHaveLength(1);
    expect((await published(world)).map((alert) => [alert.kind, alert.severity])).toEqual([
      ['RepairFailed', 'warning'],
    ]);
  });

  it('leaves port 80 alone while HTTPS cannot serve (deleted, no certificate configured), critically alerted once', async () => {
    // Prepare: a binding without a certificate; HTTPS deleted; port 80 serving plain HTTP on purpose.
    const world = await buildWorld(sim, { sites: [{ name: 'web', binding: { https: {} } }] });
    const site = world.site('web');
    await world.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.httpsListenerArn }));
    await world.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: site.httpListenerArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: site.targetGroupArn }],
      }),
    );
    await world.control.resetCalls();

    // Act
    await sweep(controller(world));
    await sweep(controller(world));

    // Assess
    expect(mutatingCalls(await world.control.calls())).toEqual({});
    const alerts = await published(world);
    expect(alerts.map((alert) => [alert.kind, alert.severity])).toEqual([['RepairFailed', 'critical']]);
    expect(alerts[0]?.text).toContain('no certificate is configured');
  });

  it('recreates a deleted HTTPS listener with the configured certificate and policy before restoring the redirect', async () => {
    const world = await buildWorld(sim);
    const site = world.site('web');
    await world.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.httpsListenerArn }));
    await world.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.httpListenerArn }));
    const since = await eventCursor(world);

    await sweep(controller(world));

    const creates = (await eventsSince(world, since)).filter(
      (event) => isController(world, event) && event.detail.eventName === 'CreateListener',
    );
    expect(creates.map((event) => (event.detail.requestParameters as { port: number }).port)).toEqual([
      443, 80,
    ]);
    expect(creates[0]?.detail.requestParameters).toMatchObject({
      protocol: 'HTTPS',
      certificates: [{ certificateArn: world.certificateArn }],
      sslPolicy: world.config.bindings[0]?.https.sslPolicy,
    });
    const { http } = await listenersOf(world, site);
    expect(http?.DefaultActions?.[0]?.RedirectConfig).toMatchObject({ ...REDIRECT });
  });

  it('does not recreate a listener on a port someone took for something else', async () => {
    // HTTPS moved to 8443 by hand and 443 deleted: the controller recreates 443 (it may); 8443 is not its business.
    const world = await buildWorld(sim);
    const site = world.site('web');
    await world.person.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: site.loadBalancerArn,
        Port: 8443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: world.certificateArn }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: world.strayTargetGroupArn }],
      }),
    );
    const since = await eventCursor(world);
    await sweep(controller(world));
    const writes = (await eventsSince(world, since)).filter((event) => isController(world, event));
    expect(writes).toEqual([]);
  });
});
