/**
 * Which calls the controller makes on one binding's resources: every action the adapters call, each paired
 * with the binding's ARNs of the resource types IAM authorizes it on, or `*` for actions that take no resource.
 */
import type { Binding, WardenConfig } from '../../config.ts';
import { controllerPermissions } from './controller-permissions.ts';
import type { FunctionName } from './model.ts';

export interface PermissionRequest {
  readonly action: string;
  readonly resources: readonly string[];
}

/**
 * The calls a function makes on a binding depend on the function and the binding's configuration, as its
 * deployed role's grants do (infra/constructs/controller-role.ts): no ELB write in dry-run, ModifyTargetGroup
 * only where a health check is enforced, DeleteRule only where foreign rules are removed, the tagging API only
 * for the sweep of a configuration with discovery policies.
 */
function needed(
  fn: FunctionName,
  action: string,
  binding: Binding,
  config: WardenConfig,
  accessLevel: string,
): boolean {
  if (action === 'tag:GetResources') return fn === 'sweep' && config.discovery.length > 0;
  // Only the sweep asks CloudTrail's event history (about drift and missing targets no event explained).
  if (action === 'cloudtrail:LookupEvents') return fn === 'sweep';
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
  const permissions = await controllerPermissions();
  // A CLI that cannot see the controller's calls must not pass the check by asking about nothing.
  if (permissions.length === 0)
    throw new Error(
      'found no calls in the controller adapters (functions/adapters): rebuild the CLI with `npm run build`',
    );
  for (const { action, accessLevel, resourceArnFormats } of permissions) {
    if (!needed(fn, action, binding, config, accessLevel)) continue;
    if (resourceArnFormats.length === 0) {
      requests.push({ action, resources: ['*'] });
      continue;
    }
    const patterns = resourceArnFormats.map(arnPattern);
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
