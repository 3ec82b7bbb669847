/** Lambda `register`: EventBridge "EC2 Instance State-change Notification" and "EC2 Spot Instance Interruption Warning". */
import { ENVIRONMENT_SHARE } from '../domain/api-share.ts';
import type { Deps } from '../use-cases/context.ts';
import { inEventScope } from '../use-cases/members.ts';
import { handleInstanceState } from '../use-cases/register.ts';
import { createObservability, eventHandler, lazyDeps, type Observability } from './runtime.ts';

export function createRegisterHandler(observability: Observability, deps: () => Deps) {
  return eventHandler(
    'register',
    ['instance-state', 'spot-interruption'],
    observability,
    deps,
    inEventScope('register', handleInstanceState),
  );
}

const observability = createObservability('register');
export const handler = createRegisterHandler(
  observability,
  lazyDeps(observability, ENVIRONMENT_SHARE.register),
);
