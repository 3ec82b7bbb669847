/** What `alb-warden status` and `validate --discover` print about discovery by tag. */
import { scopeKey } from '../domain/accounts.ts';
import type { DiscoverySummary } from '../use-cases/discovery.ts';

/** The CLI prints what the sweep reports. */
export type DiscoveryReport = DiscoverySummary;

/** One line per discovered binding, per load balancer left to its explicit binding, and per problem. */
export function formatDiscovery(report: DiscoveryReport, bad: (text: string) => string): string {
  const lines = [
    `discovery: ${report.discovered.length} binding(s) found by tag, ${report.problems.length} problem(s)`,
  ];
  for (const found of report.discovered)
    lines.push(`  found       ${found.binding} (policy ${found.policy}) ${found.loadBalancerArn}`);
  for (const entry of report.shadowed)
    lines.push(
      `  explicit    ${entry.binding} wins over policy ${entry.policy} for ${entry.loadBalancerArn}`,
    );
  for (const problem of report.problems)
    lines.push(`  ${bad('problem')}     ${problem.loadBalancerArn}: ${problem.message}`);
  for (const failed of report.failed ?? [])
    lines.push(
      `  ${bad('failed')}      ${scopeKey(failed)}: ${failed.message} (its bindings found before are kept)`,
    );
  return lines.join('\n');
}
