/** Lambda `guard`: EventBridge "AWS API Call via CloudTrail" from elasticloadbalancing.amazonaws.com. */
import { ENVIRONMENT_SHARE } from '../domain/api-share.ts';
import type { Deps } from '../use-cases/context.ts';
import { handleApiCall } from '../use-cases/guard.ts';
import { inEventScope } from '../use-cases/members.ts';
import { createObservability, eventHandler, lazyDeps, type Observability } from './runtime.ts';

export function createGuardHandler(observability: Observability, deps: () => Deps) {
  return eventHandler('guard', ['api-call'], observability, deps, inEventScope('guard', handleApiCall));
}

const observability = createObservability('guard');
export const handler = createGuardHandler(observability, lazyDeps(observability, ENVIRONMENT_SHARE.guard));
