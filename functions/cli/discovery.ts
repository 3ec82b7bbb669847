/** What `alb-warden status` and `validate --discover` print about discovery by tag. */
import type { FleetDiscovery } from '../use-cases/discovery.ts';

export interface DiscoveryReport {
  readonly discovered: readonly {
    readonly binding: string;
    readonly policy: string;
    readonly loadBalancerArn: string;
  }[];
  readonly problems: FleetDiscovery['problems'];
  readonly shadowed: FleetDiscovery['shadowed'];
}

export function discoveryReport(found: FleetDiscovery): DiscoveryReport {
  return {
    discovered: found.bindings.map(({ binding, policy }) => ({
      binding: binding.name,
      policy,
      loadBalancerArn: binding.loadBalancerArn,
    })),
    problems: found.problems,
    shadowed: found.shadowed,
  };
}

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
  return lines.join('\n');
}
