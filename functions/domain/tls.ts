/**
 * How strong an ELB security policy is, from its predefined name: the lowest TLS version it accepts first,
 * then its cipher set (`Res` restricted, plain, `Ext` extended for old clients), then FIPS and post-quantum
 * key exchange. Names as listed in "Security policies for your Application Load Balancer"
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
 * Pure.
 */
export function policyStrength(name: string): number {
  const lowestTls = /TLS13-1-3/.test(name)
    ? 13
    : /(TLS13|FS|TLS)-1-2/.test(name)
      ? 12
      : /(TLS13|FS|TLS)-1-1/.test(name)
        ? 11
        : 10;
  const ciphers = /-Res-/.test(name) ? 2 : /-Ext\d?-/.test(name) ? 0 : 1;
  return lowestTls * 100 + ciphers * 10 + (/FIPS/.test(name) ? 2 : 0) + (/-PQ-/.test(name) ? 1 : 0);
}

/** The stronger of the configured policy and the one last seen on the listener (configured on a tie). */
export function strongerPolicy(configured: string, seen: string | undefined): string {
  return seen && policyStrength(seen) > policyStrength(configured) ? seen : configured;
}
