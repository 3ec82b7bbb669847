/** Co-owners in the pure decisions: Auto Scaling groups' targets, AWS services' holds, Spot warnings. */
import { describe, expect, it } from 'vitest';
import {
  coOwnerService,
  type ParsedEvent,
  parseEvent,
  routeApiCall,
} from '../../../functions/domain/events.ts';
import {
  coOwnedIn,
  decideForInstance,
  decideForSpotWarning,
  planRegistration,
  type RegistrationInput,
} from '../../../functions/domain/registration.ts';
import { activeHolds } from '../../../functions/domain/state.ts';
import { ACCOUNT, health, instance, OTHER_TG_ARN, seedConfig, TG_ARN } from '../../support/builders.ts';
import { fixture } from '../../support/fixtures.ts';

const config = seedConfig();
const [binding] = config.bindings;
if (!binding) throw new Error('the seed configuration has a binding');
const GROUP_TAG = 'aws:autoscaling:groupName';
const ASG_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;

function plan(overrides: Partial<RegistrationInput>) {
  return planRegistration({
    binding: binding as NonNullable<typeof binding>,
    targetGroupVpcId: undefined,
    matching: [],
    registered: [],
    owned: new Set(),
    lookedUp: new Map(),
    maxDeregisterFraction: 0.5,
    ...overrides,
  });
}

describe('planRegistration with an Auto Scaling group as co-owner', () => {
  const asg = (id: string, state: 'running' | 'stopped' | 'terminated' = 'running') =>
    instance(id, { state, tags: { Role: 'web', [GROUP_TAG]: 'web-asg' } });

  it('neither registers a group instance waiting in Pending:Wait nor reports it missing', () => {
    const result = plan({ matching: [asg('i-1')], coOwned: new Map([['i-1', 'web-asg']]) });

    expect(result.toRegister).toEqual([]);
    expect(result.coOwned).toEqual([{ target: { id: 'i-1', port: 8080 }, by: 'web-asg' }]);
  });

  it('does not deregister a group instance that stopped or terminated: the group does', () => {
    const result = plan({
      matching: [asg('i-1', 'terminated'), asg('i-2', 'stopped'), instance('i-3')],
      registered: [health('i-1'), health('i-2'), health('i-3')],
      owned: new Set(['i-1:8080']),
      coOwned: new Map([
        ['i-1', 'web-asg'],
        ['i-2', 'web-asg'],
      ]),
    });

    expect(result.toDeregister).toEqual([]);
    expect(result.coOwned.map((entry) => entry.target.id)).toEqual(['i-1', 'i-2']);
    expect(result.unchanged).toEqual([{ id: 'i-3', port: 8080 }]);
  });

  it('reports a group target without the selector as co-owned, not foreign', () => {
    const result = plan({
      matching: [instance('i-3')],
      registered: [health('i-3'), health('i-9')],
      coOwned: new Map([['i-9', 'other-asg']]),
    });

    expect(result.foreign).toEqual([]);
    expect(result.coOwned).toEqual([{ target: { id: 'i-9', port: 8080 }, by: 'other-asg' }]);
  });

  it('does not withhold as "selector matches nothing" when only group targets are registered', () => {
    const result = plan({ registered: [health('i-9')], coOwned: new Map([['i-9', 'web-asg']]) });

    expect(result.withheld).toBeUndefined();
  });

  it('still registers a group instance whose group does not have this target group attached', () => {
    const coOwned = coOwnedIn([asg('i-1')], new Map([['web-asg', new Set([OTHER_TG_ARN])]]), TG_ARN);

    expect(coOwned.size).toBe(0);
    expect(plan({ matching: [asg('i-1')], coOwned }).toRegister).toEqual([{ id: 'i-1', port: 8080 }]);
  });

  it('recognises the group by its tag and the attachment by target group', () => {
    const found = coOwnedIn(
      [asg('i-1'), instance('i-2'), instance('i-3', { tags: { [GROUP_TAG]: 'other' } })],
      new Map([
        ['web-asg', new Set([TG_ARN])],
        ['other', new Set([OTHER_TG_ARN])],
      ]),
      TG_ARN,
    );

    expect([...found]).toEqual([['i-1', 'web-asg']]);
  });
});

describe('planRegistration with held targets', () => {
  it('does not register a running target an AWS service holds, and says who holds it', () => {
    const result = plan({
      matching: [instance('i-1')],
      held: new Map([['i-1:8080', 'codedeploy.amazonaws.com']]),
    });

    expect(result.toRegister).toEqual([]);
    expect(result.held).toEqual([{ target: { id: 'i-1', port: 8080 }, by: 'codedeploy.amazonaws.com' }]);
  });

  it('releases the hold of a target registered again by its owner', () => {
    const result = plan({
      matching: [instance('i-1')],
      registered: [health('i-1')],
      held: new Map([['i-1:8080', 'codedeploy.amazonaws.com']]),
    });

    expect(result.releasedHolds).toEqual(['i-1:8080']);
    expect(result.held).toEqual([]);
  });

  it('keeps only holds that have not expired', () => {
    const records = new Map([
      ['i-1:8080', { data: { by: 'autoscaling.amazonaws.com', at: 0, until: 2_000 } }],
      ['i-2:8080', { data: { by: 'codedeploy.amazonaws.com', at: 0, until: 1_000 } }],
      ['i-3:8080', { data: { unexpected: true } }],
    ]);

    expect([...activeHolds(records, 1_500)]).toEqual([['i-1:8080', 'autoscaling.amazonaws.com']]);
  });
});

describe('decideForInstance with an Auto Scaling group', () => {
  const attached = new Map([['web-asg', new Set([TG_ARN])]]);
  const member = (state: 'running' | 'terminated') =>
    instance('i-1', { state, tags: { Role: 'web', [GROUP_TAG]: 'web-asg' } });

  it('leaves the registration of a running group instance to the group', () => {
    const decision = decideForInstance(config.bindings, 'i-1', member('running'), undefined, attached);

    expect(decision).toMatchObject({ action: 'register', bindings: [], coOwned: [{ group: 'web-asg' }] });
  });

  it('leaves the deregistration of a terminated group instance to the group', () => {
    const decision = decideForInstance(config.bindings, 'i-1', member('terminated'), undefined, attached);

    expect(decision).toMatchObject({ action: 'deregister', bindings: [], coOwned: [{ group: 'web-asg' }] });
  });

  it('registers a group instance whose group has another target group attached', () => {
    const decision = decideForInstance(
      config.bindings,
      'i-1',
      member('running'),
      undefined,
      new Map([['web-asg', new Set([OTHER_TG_ARN])]]),
    );

    expect(decision).toMatchObject({ action: 'register', bindings: [{ name: 'web' }], coOwned: [] });
  });
});

describe('decideForSpotWarning', () => {
  it('deregisters from every binding, whatever the selector', () => {
    const decision = decideForSpotWarning(config.bindings, instance('i-1', { tags: { Role: 'db' } }));

    expect(decision).toEqual({
      action: 'deregister',
      reason: 'spot-interruption',
      bindings: config.bindings,
      coOwned: [],
    });
  });

  it('leaves an Auto Scaling group instance to its group', () => {
    const member = instance('i-1', { tags: { [GROUP_TAG]: 'web-asg' } });
    const decision = decideForSpotWarning(config.bindings, member, new Map([['web-asg', new Set([TG_ARN])]]));

    expect(decision.bindings).toEqual([]);
    expect(decision.coOwned).toMatchObject([{ group: 'web-asg' }]);
  });
});

describe('parsing the events of co-owners', () => {
  it('reads a Spot interruption warning', () => {
    expect(parseEvent(fixture('ec2-spot-interruption-warning.json'))).toEqual({
      type: 'spot-interruption',
      id: '5f1c1c6e-4f0b-4a8e-9c1d-3b2a7e9d6c40',
      instanceId: 'i-0abcd1111aaaa2222',
      instanceAction: 'terminate',
      account: '123456789012',
      region: 'ap-northeast-2',
    });
  });

  it('ignores a Spot warning with an unknown instance action, naming the field', () => {
    const raw = fixture('ec2-spot-interruption-warning.json') as { detail: Record<string, unknown> };
    const parsed = parseEvent({ ...raw, detail: { ...raw.detail, 'instance-action': 'reboot' } });

    expect(parsed).toMatchObject({ type: 'ignored', reason: expect.stringMatching(/instance-action/) });
  });

  it("reads CloudTrail's invokedBy", () => {
    const event = deregistration({ invokedBy: 'codedeploy.amazonaws.com' });

    expect(event.actor.invokedBy).toBe('codedeploy.amazonaws.com');
  });
});

/** The recorded DeregisterTargets call, made by another identity. */
function deregistration(identity: Record<string, unknown>): Extract<ParsedEvent, { type: 'api-call' }> {
  const raw = fixture('cloudtrail-deregister-targets.json') as { detail: Record<string, unknown> };
  const parsed = parseEvent({
    ...raw,
    detail: { ...raw.detail, userIdentity: { ...(raw.detail.userIdentity as object), ...identity } },
  });
  if (parsed.type !== 'api-call') throw new Error('the fixture is an API call');
  return parsed;
}

describe('routing a deregistration by a co-owning AWS service', () => {
  const services = config.coOwners.services;

  it.each([
    [
      'Auto Scaling by its service-linked role',
      { sessionContext: { sessionIssuer: { arn: ASG_ROLE } } },
      'autoscaling.amazonaws.com',
    ],
    [
      'CodeDeploy (BlockTraffic) by invokedBy',
      { invokedBy: 'codedeploy.amazonaws.com' },
      'codedeploy.amazonaws.com',
    ],
    [
      'Elastic Beanstalk by its service-linked role',
      {
        sessionContext: {
          sessionIssuer: {
            arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk`,
          },
        },
      },
      'elasticbeanstalk.amazonaws.com',
    ],
  ])('holds the targets deregistered by %s', (_, identity, service) => {
    const route = routeApiCall(config, deregistration(identity));

    expect(route).toEqual({
      action: 'hold',
      service,
      targets: [{ id: 'i-0abcd1111aaaa2222', port: 8080 }],
      bindings: config.bindings,
    });
  });

  it("reconciles a person's deregistration as before", () => {
    expect(routeApiCall(config, deregistration({}))).toMatchObject({
      action: 'reconcile',
      scope: 'registration',
    });
  });

  it('reconciles a service left out of coOwners.services', () => {
    const only = seedConfig({ coOwners: { services: ['autoscaling.amazonaws.com'] } });

    expect(routeApiCall(only, deregistration({ invokedBy: 'codedeploy.amazonaws.com' }))).toMatchObject({
      action: 'reconcile',
    });
  });

  it('does not take an Identity Center role or a look-alike path for a service-linked role', () => {
    const sso = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/ap-northeast-2/AWSReservedSSO_Admin_0123`;
    const lookalike = `arn:aws:iam::${ACCOUNT}:role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;

    expect(coOwnerService(services, { arn: 'x', issuerArn: sso })).toBeUndefined();
    expect(coOwnerService(services, { arn: 'x', issuerArn: lookalike })).toBeUndefined();
  });
});

describe('coOwners settings', () => {
  it('defaults to Auto Scaling, CodeDeploy and Elastic Beanstalk, held 65 minutes', () => {
    expect(config.coOwners).toEqual({
      services: ['autoscaling.amazonaws.com', 'codedeploy.amazonaws.com', 'elasticbeanstalk.amazonaws.com'],
      holdMinutes: 65,
    });
  });

  it('refuses a service that is not a service principal, naming the field', () => {
    expect(() => seedConfig({ coOwners: { services: ['CodeDeploy'] } })).toThrow(
      /coOwners\.services\[0\]: must be an AWS service principal/,
    );
    expect(() => seedConfig({ coOwners: { holdMinutes: 0 } })).toThrow(/coOwners\.holdMinutes/);
  });
});
