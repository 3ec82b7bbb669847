/** Alerts about a member account and region as a whole: what the on-call reads when a member fails. */
import { describe, expect, it } from 'vitest';
import { memberUnreachableAlert } from '../../../functions/domain/alert-kinds.ts';
import { renderAlert } from '../../../functions/domain/alerts.ts';
import { memberDiscoveryFailedAlert } from '../../../functions/domain/member-alerts.ts';

const ROLE = 'arn:aws:iam::210987654321:role/AlbWardenMember-eu-west-1';
const common = {
  account: '210987654321',
  region: 'eu-west-1',
  roleArn: ROLE,
  now: Date.parse('2026-11-29T10:00:00Z'),
  mode: 'enforce' as const,
};

describe('member alerts', () => {
  it('a member whose tags cannot be read: a warning naming account, region and role, and what stays guarded', () => {
    const rendered = renderAlert(
      memberDiscoveryFailedAlert({
        ...common,
        kept: ['shop-eu', 'web-alb'],
        error: { code: 'AccessDeniedException', message: 'not authorized to perform: tag:GetResources' },
      }),
    );

    expect(rendered.subject).toBe(
      '[WARNING] 210987654321/eu-west-1: discovery failed with role AlbWardenMember-eu-west-1',
    );
    expect(rendered.attributes).toEqual({
      severity: 'warning',
      kind: 'DiscoveryProblem',
      binding: '210987654321/eu-west-1',
    });
    expect(rendered.text).toContain(ROLE);
    expect(rendered.text).toContain('AccessDeniedException: not authorized to perform: tag:GetResources');
    expect(rendered.text).toContain('Still guarded, as discovered before: shop-eu, web-alb.');
  });

  it('a member with nothing discovered yet whose role cannot be assumed says nothing there is checked', () => {
    const rendered = renderAlert(
      memberUnreachableAlert({ ...common, bindings: [], error: { code: 'AccessDenied', message: 'denied' } }),
    );

    expect(rendered.text).toContain(
      'region eu-west-1, so nothing there is discovered or checked: no repair, registration or health alert until it can.',
    );
  });
});
