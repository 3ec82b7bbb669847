/**
 * Discovery by tag: a policy selects load balancers by their tags, and each one it selects becomes a binding
 * whose target group, port and instance selector come from tags, the policy's defaults filling the rest.
 * Pure: the tags are read elsewhere (a port), the binding rules are the configuration's own (`check`).
 *
 * Tag vocabulary (values as ELB takes them, at most 256 characters):
 *   alb-warden:target-group       on the load balancer (required): the target group's ARN
 *   alb-warden:target-port        on the load balancer or its target group: the port instances serve on
 *   alb-warden:instance-selector  on the load balancer or its target group: `Key=Value,Key=Value`
 *   alb-warden:binding-name       on the load balancer: the binding's name (default: the load balancer's)
 * A value given on both the load balancer and the target group must be the same.
 */
import type { Binding, DiscoveryPolicy } from './settings.ts';

export const DISCOVERY_TAG = {
  targetGroup: 'alb-warden:target-group',
  targetPort: 'alb-warden:target-port',
  instanceSelector: 'alb-warden:instance-selector',
  bindingName: 'alb-warden:binding-name',
} as const;

/** A load balancer or target group and its tags, as the tagging API lists them. */
export interface TaggedResource {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface DiscoveryProblem {
  readonly loadBalancerArn: string;
  /** The policies that selected the load balancer (two or more: a conflict). */
  readonly policies: readonly string[];
  /** The tag at fault; absent when the fault is in the configuration (conflict, a policy default). */
  readonly tag?: string | undefined;
  readonly message: string;
}

export interface DiscoveredBinding {
  readonly policy: string;
  readonly binding: Binding;
}

export interface DiscoveryOutcome {
  /** Sorted by load balancer ARN. */
  readonly bindings: readonly DiscoveredBinding[];
  readonly problems: readonly DiscoveryProblem[];
  /** Load balancers a policy selected that an explicit binding guards: the explicit binding wins. */
  readonly shadowed: readonly {
    readonly loadBalancerArn: string;
    readonly policy: string;
    readonly binding: string;
  }[];
}

/** The configuration's binding rules: a valid binding, or what is wrong, by field. */
export type BindingCheck = (
  candidate: unknown,
) =>
  | { readonly binding: Binding }
  | { readonly issues: readonly { readonly field: string; readonly message: string }[] };

/** Whether `tags` carries every tag of `selector` with the same value. */
export function selects(
  selector: Readonly<Record<string, string>>,
  tags: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => tags[key] === value);
}

const isLoadBalancer = (arn: string) => /:loadbalancer\//.test(arn);
const isTargetGroup = (arn: string) => /:targetgroup\//.test(arn);
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/**
 * The bindings the policies make of the tagged load balancers among `resources` (target groups among them
 * lend their tags), beside `explicit` ones. A load balancer selected by two policies, or whose tags are
 * missing, malformed or contradictory, is no binding: it is a problem naming it and the tag.
 */
export function discoverBindings(
  policies: readonly DiscoveryPolicy[],
  resources: readonly TaggedResource[],
  explicit: readonly Binding[],
  check: BindingCheck,
  /** Names held elsewhere (another account's discovered bindings), by name: what holds each. */
  reserved: ReadonlyMap<string, string> = new Map(),
): DiscoveryOutcome {
  const groupTags = new Map(resources.filter((r) => isTargetGroup(r.arn)).map((r) => [r.arn, r.tags]));
  const explicitByLb = new Map(explicit.map((binding) => [binding.loadBalancerArn, binding.name]));
  const loadBalancers = [
    ...new Map(resources.filter((r) => isLoadBalancer(r.arn)).map((r) => [r.arn, r])).values(),
  ].sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  const problems: DiscoveryProblem[] = [];
  const shadowed: DiscoveryOutcome['shadowed'][number][] = [];
  const candidates: { policy: DiscoveryPolicy; lb: TaggedResource; draft: Record<string, unknown> }[] = [];

  for (const lb of loadBalancers) {
    const selecting = policies.filter((policy) => selects(policy.selector.tags, lb.tags));
    if (selecting.length === 0) continue;
    const names = selecting.map((policy) => policy.name);
    if (selecting.length > 1) {
      problems.push({
        loadBalancerArn: lb.arn,
        policies: names,
        message: `selected by discovery policies ${names.map((name) => `"${name}"`).join(' and ')}: a load balancer belongs to one policy only; narrow their selectors`,
      });
      continue;
    }
    const policy = selecting[0] as DiscoveryPolicy;
    const owner = explicitByLb.get(lb.arn);
    if (owner !== undefined) {
      shadowed.push({ loadBalancerArn: lb.arn, policy: policy.name, binding: owner });
      continue;
    }
    const draft = draftBinding(policy, lb, groupTags);
    if ('problems' in draft) problems.push(...draft.problems);
    else candidates.push({ policy, lb, draft: draft.value });
  }

  const bindings: DiscoveredBinding[] = [];
  const taken = new Map<string, string>([
    ...reserved,
    ...explicit.map((binding): [string, string] => [binding.name, 'an explicit binding']),
  ]);
  // Names from tags first, then derived ones: a derived name never takes a name someone asked for.
  const named = candidates.filter((candidate) => candidate.lb.tags[DISCOVERY_TAG.bindingName] !== undefined);
  const unnamed = candidates.filter(
    (candidate) => candidate.lb.tags[DISCOVERY_TAG.bindingName] === undefined,
  );
  for (const { policy, lb, draft } of [...named, ...unnamed]) {
    const requested = lb.tags[DISCOVERY_TAG.bindingName];
    const name = requested ?? derivedName(lb.arn, taken);
    const holder = taken.get(name);
    if (requested !== undefined && holder !== undefined) {
      problems.push({
        loadBalancerArn: lb.arn,
        policies: [policy.name],
        tag: DISCOVERY_TAG.bindingName,
        message: `${DISCOVERY_TAG.bindingName} "${requested}" is already the name of ${holder}: binding names must be unique`,
      });
      continue;
    }
    const checked = check({ ...draft, name });
    if ('issues' in checked) {
      problems.push(...checked.issues.map((issue) => issueProblem(policy.name, lb.arn, issue)));
      continue;
    }
    taken.set(name, `the load balancer ${lb.arn}`);
    bindings.push({ policy: policy.name, binding: checked.binding });
  }
  bindings.sort((a, b) => (a.binding.loadBalancerArn < b.binding.loadBalancerArn ? -1 : 1));
  return { bindings, problems, shadowed };
}

const TAG_OF_FIELD: Readonly<Record<string, string>> = {
  name: DISCOVERY_TAG.bindingName,
  targetGroupArn: DISCOVERY_TAG.targetGroup,
  targetPort: DISCOVERY_TAG.targetPort,
  instanceSelector: DISCOVERY_TAG.instanceSelector,
};

/** A binding rule the draft broke, blamed on the tag it came from, else on the load balancer or the policy. */
function issueProblem(
  policy: string,
  loadBalancerArn: string,
  issue: { readonly field: string; readonly message: string },
): DiscoveryProblem {
  const field = issue.field.split(/[.[]/)[0] ?? '';
  const tag = TAG_OF_FIELD[field];
  const subject =
    tag ??
    (field === 'loadBalancerArn'
      ? 'the load balancer'
      : `discovery policy "${policy}" defaults.${issue.field}`);
  return { loadBalancerArn, policies: [policy], tag, message: `${subject} ${issue.message}` };
}

/** The binding's fields from tags and defaults, before the binding rules; or what the tags get wrong. */
function draftBinding(
  policy: DiscoveryPolicy,
  lb: TaggedResource,
  groupTags: ReadonlyMap<string, Readonly<Record<string, string>>>,
): { value: Record<string, unknown> } | { problems: DiscoveryProblem[] } {
  const problems: DiscoveryProblem[] = [];
  const problem = (tag: string, message: string) =>
    problems.push({ loadBalancerArn: lb.arn, policies: [policy.name], tag, message: `${tag} ${message}` });
  const targetGroupArn = lb.tags[DISCOVERY_TAG.targetGroup];
  if (targetGroupArn === undefined) {
    problem(DISCOVERY_TAG.targetGroup, "is missing: tag the load balancer with its target group's ARN");
    return { problems };
  }
  const group = groupTags.get(targetGroupArn) ?? {};
  /** A value from the load balancer or its target group; both given must agree. */
  const either = (tag: string): string | undefined => {
    const onLb = lb.tags[tag];
    const onGroup = group[tag];
    if (onLb !== undefined && onGroup !== undefined && onLb !== onGroup) {
      problem(
        tag,
        `says "${onLb}" on the load balancer and "${onGroup}" on its target group: remove one or make them agree`,
      );
    }
    return onLb ?? onGroup;
  };
  const portText = either(DISCOVERY_TAG.targetPort);
  const selectorText = either(DISCOVERY_TAG.instanceSelector);
  let targetPort: number | undefined = policy.defaults.targetPort;
  if (portText !== undefined) {
    if (/^\d{1,5}$/.test(portText)) targetPort = Number(portText);
    else problem(DISCOVERY_TAG.targetPort, `must be a port number, got "${portText}"`);
  }
  let instanceSelector = policy.defaults.instanceSelector;
  if (selectorText !== undefined) {
    const parsed = parseSelector(selectorText);
    if (typeof parsed === 'string') problem(DISCOVERY_TAG.instanceSelector, parsed);
    else instanceSelector = { tags: parsed };
  } else if (instanceSelector === undefined) {
    problem(
      DISCOVERY_TAG.instanceSelector,
      `is missing and discovery policy "${policy.name}" has no defaults.instanceSelector: tag the load balancer or its target group with Key=Value,Key=Value`,
    );
  }
  if (problems.length > 0) return { problems };
  const { http, https, healthCheck } = policy.defaults;
  return {
    value: {
      loadBalancerArn: lb.arn,
      targetGroupArn,
      ...(targetPort === undefined ? {} : { targetPort }),
      instanceSelector,
      ...(http === undefined ? {} : { http }),
      ...(https === undefined ? {} : { https }),
      ...(healthCheck === undefined ? {} : { healthCheck }),
    },
  };
}

/** `Key=Value,Key=Value` as tags, or what is wrong with it. */
export function parseSelector(text: string): Record<string, string> | string {
  const tags: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at).trim();
    if (at < 1 || key === '') return `must be Key=Value pairs separated by commas, got "${text}"`;
    if (key in tags) return `names the instance tag "${key}" twice, got "${text}"`;
    tags[key] = pair.slice(at + 1).trim();
  }
  return tags;
}

/** The load balancer's name; if taken, shortened and suffixed with its id so it stays unique and valid. */
function derivedName(arn: string, taken: ReadonlyMap<string, string>): string {
  const [, name = 'lb', id = ''] = /loadbalancer\/[a-z]+\/([^/]+)\/([^/]+)$/.exec(arn) ?? [];
  if (NAME.test(name) && !taken.has(name)) return name;
  return `${name.slice(0, 15)}-${id.slice(0, 16)}`;
}
