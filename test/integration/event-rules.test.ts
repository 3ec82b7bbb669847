/**
 * The deployed EventBridge rules (infra/event-patterns.ts, what the Warden stack deploys), applied with the
 * simulator's EventBridge matching to recorded event shapes: what reaches which function.
 */
import { describe, expect, it } from 'vitest';
import type { SimEvent } from '../../sim/control.ts';
import { routeEvent } from '../../testkit/events.ts';
import { fixture } from '../support/fixtures.ts';

/** The controller's role in the fixtures (the session issuer of its own calls). */
const CONTROLLER_ROLE = 'arn:aws:iam::123456789012:role/AlbWarden-GuardFunctionRole-1A2B3C4D5E6F';
const event = (name: string, detail: Record<string, unknown> = {}): SimEvent => {
  const raw = fixture(name) as unknown as SimEvent;
  return { ...raw, detail: { ...raw.detail, ...detail } };
};

describe('the deployed rules route', () => {
  it.each([
    ['ec2-instance-running.json', 'register'],
    ['ec2-instance-stopped.json', 'register'],
    ['ec2-instance-terminated.json', 'register'],
    ['ec2-spot-interruption-warning.json', 'register'],
    ['cloudtrail-modify-listener-redirect-302.json', 'guard'],
    ['cloudtrail-delete-rule.json', 'guard'],
    ['cloudtrail-deregister-targets.json', 'guard'],
  ])('%s to %s', (name, target) => {
    expect(routeEvent(event(name), CONTROLLER_ROLE)).toEqual({ target });
  });

  it('an IAM user (no session issuer) to the guard', () => {
    const call = event('cloudtrail-modify-listener-redirect-302.json', {
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/ops' },
    });
    expect(routeEvent(call, CONTROLLER_ROLE)).toEqual({ target: 'guard' });
  });
});

describe('the deployed rules drop, saying why', () => {
  it('the pending state: the running event follows', () => {
    expect(routeEvent(event('ec2-instance-pending.json'), CONTROLLER_ROLE)).toEqual({
      reason: "instance state pending is not in the rule's pattern",
    });
  });

  it("the controller's own calls (no loops)", () => {
    expect(routeEvent(event('cloudtrail-modify-listener-by-warden-itself.json'), CONTROLLER_ROLE)).toEqual({
      reason: "ModifyListener by the controller's own role: the rule drops it (no loops)",
    });
  });

  it('failed calls', () => {
    expect(routeEvent(event('cloudtrail-modify-listener-denied.json'), CONTROLLER_ROLE)).toEqual({
      reason: 'ModifyListener failed (AccessDenied)',
    });
  });

  it('calls the guard does not watch, and events no rule selects', () => {
    const call = event('cloudtrail-delete-rule.json', { eventName: 'DescribeListeners' });
    expect(routeEvent(call, CONTROLLER_ROLE)).toEqual({
      reason: 'DescribeListeners is not a call the guard watches',
    });
    expect(routeEvent(event('scheduled-sweep.json'), CONTROLLER_ROLE)).toEqual({
      reason: 'no rule matches aws.events "Scheduled Event"',
    });
  });
});
