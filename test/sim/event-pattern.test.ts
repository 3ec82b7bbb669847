/**
 * EventBridge content filtering, on the examples of AWS's documentation:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html and
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html.
 */
import { describe, expect, it } from 'vitest';
import { EventPatternError, failingFields, matchesEventPattern as matches } from '../../sim/event-pattern.ts';

const ec2Event = (state: string) => ({
  source: 'aws.ec2',
  'detail-type': 'EC2 Instance State-change Notification',
  detail: { 'instance-id': 'i-1234567890abcdef0', state },
});

describe('fields and values', () => {
  const pattern = {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  };

  it('matches when every field the pattern names has one of its values', () => {
    expect(matches(pattern, ec2Event('terminated'))).toBe(true);
    expect(matches(pattern, ec2Event('running'))).toBe(false);
  });

  it('ignores fields the pattern does not name, and fails on a field the event lacks', () => {
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, { ...ec2Event('x'), extra: 1 })).toBe(true);
    expect(matches(pattern, { source: 'aws.ec2', 'detail-type': pattern['detail-type'][0] })).toBe(false);
  });

  it('matches an event array when any element is among the values', () => {
    const resources = [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ];
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches({ resources }, event)).toBe(true);
    expect(matches({ resources: resources.slice(1) }, event)).toBe(false);
  });

  it('matches null and the empty string exactly, and keeps numbers apart from strings', () => {
    expect(matches({ responseElements: [null] }, { responseElements: null })).toBe(true);
    expect(matches({ responseElements: [null] }, { responseElements: 'null' })).toBe(false);
    expect(matches({ eventVersion: [''] }, { eventVersion: '' })).toBe(true);
    expect(matches({ port: [443] }, { port: 443 })).toBe(true);
    expect(matches({ port: ['443'] }, { port: 443 })).toBe(false);
  });
});

describe('comparison operators', () => {
  it('prefix, also ignoring case', () => {
    expect(matches({ region: [{ prefix: 'us-' }] }, { region: 'us-east-1' })).toBe(true);
    expect(matches({ region: [{ prefix: 'us-' }] }, { region: 'eu-west-1' })).toBe(false);
    const service = { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] };
    expect(matches(service, { service: 'EventBridge' })).toBe(true);
  });

  it('suffix, equals-ignore-case and wildcard', () => {
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' })).toBe(false);
    expect(matches({ name: [{ 'equals-ignore-case': 'alice' }] }, { name: 'ALICE' })).toBe(true);
    const bus = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(matches(bus, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' })).toBe(
      true,
    );
    expect(matches(bus, { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/orders' })).toBe(
      false,
    );
  });

  it('anything-but a value, a list, a prefix or a suffix; never a missing field', () => {
    expect(matches({ state: [{ 'anything-but': 'initializing' }] }, { state: 'running' })).toBe(true);
    expect(matches({ state: [{ 'anything-but': 'initializing' }] }, { state: 'initializing' })).toBe(false);
    const list = { state: [{ 'anything-but': ['stopped', 'overloaded'] }] };
    expect(matches(list, { state: 'running' })).toBe(true);
    expect(matches(list, { state: 'overloaded' })).toBe(false);
    expect(matches({ x: [{ 'anything-but': [100, 200] }] }, { x: 150 })).toBe(true);
    expect(matches({ x: [{ 'anything-but': [100, 200] }] }, { x: 200 })).toBe(false);
    expect(matches({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'eu-west-1' })).toBe(true);
    expect(matches({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'us-east-1' })).toBe(false);
    expect(matches({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' })).toBe(
      false,
    );
    expect(matches({ state: [{ 'anything-but': 'initializing' }] }, {})).toBe(false);
  });

  it('numeric ranges, ANDed within one matcher', () => {
    const range = { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] };
    expect(matches(range, { 'c-count': 5 })).toBe(true);
    expect(matches(range, { 'c-count': 0 })).toBe(false);
    expect(matches(range, { 'c-count': '3' })).toBe(false);
    expect(matches({ 'x-limit': [{ numeric: ['=', 3.018e2] }] }, { 'x-limit': 301.8 })).toBe(true);
  });

  it('exists true and false, also below a missing parent', () => {
    expect(matches({ detail: { state: [{ exists: true }] } }, ec2Event('running'))).toBe(true);
    expect(matches({ detail: { state: [{ exists: false }] } }, ec2Event('running'))).toBe(false);
    expect(matches({ detail: { errorCode: [{ exists: false }] } }, ec2Event('running'))).toBe(true);
    const issuer = { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } };
    expect(matches(issuer, { userIdentity: { type: 'IAMUser' } })).toBe(true);
  });

  it('$or: any of the sub-patterns', () => {
    const pattern = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matches(pattern, { detail: { 'c-count': 9, 'd-count': 3 } })).toBe(true);
    expect(matches(pattern, { detail: { 'c-count': 9, 'd-count': 30, 'x-limit': 1 } })).toBe(false);
  });
});

describe('failing fields and bad patterns', () => {
  it('names the fields an event fails, in the pattern order', () => {
    const pattern = { source: ['aws.ec2'], detail: { state: ['running'], az: [{ prefix: 'ap-' }] } };
    expect(failingFields(pattern, { source: 'aws.ec2', detail: { state: 'stopped', az: 'us-1' } })).toEqual([
      'detail.state',
      'detail.az',
    ]);
  });

  it('refuses what EventBridge refuses, naming where', () => {
    expect(() => matches({ state: 'running' }, {})).toThrow(EventPatternError);
    expect(() => matches({ detail: { state: [] } }, {})).toThrow(/detail\.state: an empty array/);
    expect(() => matches({ x: [{ between: [1, 2] }] }, { x: 1 })).toThrow(/unknown operator "between"/);
    expect(() => matches({ x: [{ numeric: ['>', 'one'] }] }, { x: 1 })).toThrow(/numeric/);
    expect(() => matches({ $or: [{ a: ['b'] }] }, {})).toThrow(/at least two/);
  });
});
