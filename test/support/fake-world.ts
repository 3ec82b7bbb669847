/**
 * An in-memory world behind the ports, for fast unit tests of the use-cases. It mimics what matters of AWS
 * (defaults filled in, forwards reported in both forms, InvalidTarget for instances that are not running)
 * and counts calls; the simulator-based integration tests cover the real wire.
 */

import type { WardenConfig } from '../../functions/config.ts';
import type { RenderedAlert } from '../../functions/domain/alerts.ts';
import { type ApiCallEvent, touchedBy } from '../../functions/domain/events.ts';
import type { ListenerRequest } from '../../functions/domain/listeners.ts';
import type {
  Action,
  Instance,
  Listener,
  Rule,
  Target,
  TargetGroup,
  TargetHealth,
} from '../../functions/domain/model.ts';
import { targetKey } from '../../functions/domain/model.ts';
import type {
  AlertPublisher,
  ChangeHistory,
  Instances,
  LoadBalancing,
  ScalingGroups,
  TargetWriteResult,
} from '../../functions/ports.ts';
import type { Deps, Log, Telemetry } from '../../functions/use-cases/context.ts';
import {
  forwardTo,
  HTTP_LISTENER_ARN,
  HTTPS_LISTENER_ARN,
  httpListener,
  httpsListener,
  LB_ARN,
  TG_ARN,
  VPC_ID,
} from './builders.ts';
import { MemoryStateStore } from './memory-state.ts';

const MUTATING = new Set([
  'addCertificates',
  'registerTargets',
  'deregisterTargets',
  'modifyHealthCheck',
  'createListener',
  'modifyListener',
  'deleteRule',
]);

export class FakeWorld {
  instances = new Map<string, Instance>();
  /** targetGroupArn → `id:port` → health override (healthy when absent). */
  targets = new Map<string, Map<string, TargetHealth>>([[TG_ARN, new Map()]]);
  groups = new Map<string, TargetGroup>([
    [
      TG_ARN,
      {
        arn: TG_ARN,
        vpcId: VPC_ID,
        loadBalancerArns: [LB_ARN],
        healthCheck: {
          protocol: 'HTTP',
          port: 'traffic-port',
          path: '/',
          matcher: '404',
          intervalSeconds: 30,
          timeoutSeconds: 5,
          healthyThreshold: 5,
          unhealthyThreshold: 2,
        },
      },
    ],
  ]);
  listeners: Listener[] = [httpListener(), httpsListener()];
  rules = new Map<string, Rule[]>([[HTTP_LISTENER_ARN, []]]);
  /** targetGroupArn → deregistration_delay.timeout_seconds (ELB's default 300 when absent). */
  deregistrationDelay = new Map<string, number>();
  /** listenerArn → certificates besides the default one (SNI). */
  sni = new Map<string, string[]>();
  /** Auto Scaling group name → the target groups it has attached. */
  scalingGroups = new Map<string, Set<string>>();
  /** CloudTrail event history: the calls it shows now (a test adds a call once it would have turned up). */
  eventHistory: ApiCallEvent[] = [];
  published: RenderedAlert[] = [];
  calls: string[] = [];
  /** Makes the next calls of a method throw. */
  failures = new Map<string, Error[]>();
  private nextListener = 1;

  get mutatingCalls(): string[] {
    return this.calls.filter((call) => MUTATING.has(call));
  }

  private call(name: string): void {
    this.calls.push(name);
    const failure = this.failures.get(name)?.shift();
    if (failure) throw failure;
  }

  addInstance(instance: Instance): void {
    this.instances.set(instance.id, instance);
  }

  setHealth(id: string, state: TargetHealth['state'], reasonCode?: string, description?: string): void {
    const group = this.targets.get(TG_ARN);
    const key = `${id}:8080`;
    if (group?.has(key)) group.set(key, { id, port: 8080, state, reasonCode, description });
  }

  registered(): string[] {
    return [...(this.targets.get(TG_ARN)?.keys() ?? [])].sort();
  }

  readonly scaling: ScalingGroups = {
    attachedTargetGroups: async (names) => {
      this.call('attachedTargetGroups');
      return new Map(
        names.flatMap((name) => {
          const attached = this.scalingGroups.get(name);
          return attached ? [[name, new Set(attached)] as const] : [];
        }),
      );
    },
  };

  readonly history: ChangeHistory = {
    changesTo: async (resource, since, limit) => {
      this.call('lookupEvents');
      const timeOf = (call: ApiCallEvent) => Date.parse(call.actor.eventTime ?? '');
      return this.eventHistory
        .filter((call) => touchedBy(call).includes(resource) && timeOf(call) >= since)
        .sort((a, b) => timeOf(b) - timeOf(a))
        .slice(0, limit);
    },
  };

  readonly elb: LoadBalancing = {
    describeTargetHealth: async (arn, targets) => {
      this.call('describeTargetHealth');
      const group = this.groupTargets(arn);
      if (targets) {
        return targets.map(
          (target) =>
            group.get(targetKey(target)) ?? {
              ...target,
              state: 'unused' as const,
              reasonCode: 'Target.NotRegistered',
            },
        );
      }
      return [...group.values()].map((target) => {
        const instance = this.instances.get(target.id);
        if (instance && instance.state !== 'running' && target.state === 'healthy') {
          return {
            ...target,
            state: 'unused' as const,
            reasonCode: 'Target.InvalidState',
            description: `Target is in the ${instance.state} state`,
          };
        }
        return target;
      });
    },
    registerTargets: async (arn, targets) => {
      this.call('registerTargets');
      return this.writeTargets(arn, targets, (group, target) =>
        group.set(targetKey(target), { ...target, state: 'healthy' }),
      );
    },
    deregisterTargets: async (arn, targets) => {
      this.call('deregisterTargets');
      const group = this.groupTargets(arn);
      for (const target of targets) group.delete(targetKey(target));
      return { done: [...targets], rejected: [] };
    },
    describeTargetGroups: async (arns) => {
      this.call('describeTargetGroups');
      return arns.flatMap((arn) => {
        const group = this.groups.get(arn);
        return group ? [structuredClone(group)] : [];
      });
    },
    modifyHealthCheck: async (arn, healthCheck) => {
      this.call('modifyHealthCheck');
      const group = this.groups.get(arn);
      if (group) this.groups.set(arn, { ...group, healthCheck: { ...group.healthCheck, ...healthCheck } });
    },
    listListeners: async () => {
      this.call('listListeners');
      return structuredClone(this.listeners);
    },
    listRules: async (arn) => {
      this.call('listRules');
      const listener = this.listeners.find((candidate) => candidate.arn === arn);
      const fallback: Rule = {
        arn: `${arn}/default`,
        priority: 'default',
        isDefault: true,
        conditions: [],
        actions: listener?.defaultActions ?? [],
      };
      return structuredClone([fallback, ...(this.rules.get(arn) ?? [])]);
    },
    createListener: async (loadBalancerArn, request) => {
      this.call('createListener');
      const listener: Listener = {
        arn:
          request.protocol === 'HTTPS'
            ? HTTPS_LISTENER_ARN
            : request.port === 80
              ? HTTP_LISTENER_ARN
              : `${HTTP_LISTENER_ARN}${this.nextListener++}`,
        loadBalancerArn,
        port: request.port,
        protocol: request.protocol ?? 'HTTP',
        sslPolicy: request.sslPolicy,
        certificateArns: request.certificateArns ?? [],
        defaultActions: request.defaultActions.map(asReported),
        ...(request.mutualAuthentication ? { mutualAuthentication: request.mutualAuthentication } : {}),
      };
      this.listeners.push(listener);
      return structuredClone(listener);
    },
    modifyListener: async (arn, request: ListenerRequest) => {
      this.call('modifyListener');
      const index = this.listeners.findIndex((listener) => listener.arn === arn);
      const current = this.listeners[index];
      if (!current)
        throw Object.assign(new Error('listener not found'), { name: 'ListenerNotFound', $fault: 'client' });
      const next: Listener = {
        ...current,
        protocol: request.protocol ?? current.protocol,
        certificateArns: request.certificateArns ?? current.certificateArns,
        sslPolicy: request.sslPolicy ?? current.sslPolicy,
        defaultActions: request.defaultActions.map(asReported),
      };
      this.listeners[index] = next;
      return structuredClone(next);
    },
    deregistrationDelaySeconds: async (arn) => {
      this.call('describeTargetGroupAttributes');
      this.groupTargets(arn);
      return this.deregistrationDelay.get(arn) ?? 300;
    },
    listCertificates: async (arn) => {
      this.call('listCertificates');
      return [...(this.sni.get(arn) ?? [])];
    },
    addCertificates: async (arn, certificateArns) => {
      this.call('addCertificates');
      this.sni.set(arn, [...(this.sni.get(arn) ?? []), ...certificateArns]);
    },
    deleteRule: async (arn) => {
      this.call('deleteRule');
      for (const [listener, rules] of this.rules)
        this.rules.set(
          listener,
          rules.filter((rule) => rule.arn !== arn),
        );
    },
  };

  readonly ec2: Instances = {
    findByTags: async (tags) => {
      this.call('findByTags');
      return [...this.instances.values()].filter((instance) =>
        Object.entries(tags).every(([key, value]) => instance.tags[key] === value),
      );
    },
    describe: async (ids) => {
      this.call('describeInstances');
      return ids.flatMap((id) => {
        const instance = this.instances.get(id);
        return instance ? [instance] : [];
      });
    },
  };

  readonly alerts: AlertPublisher = {
    publish: async (_topic, alert) => {
      this.call('publish');
      this.published.push(alert);
    },
  };

  private groupTargets(arn: string): Map<string, TargetHealth> {
    const group = this.targets.get(arn);
    if (!group)
      throw Object.assign(new Error('One or more target groups not found'), {
        name: 'TargetGroupNotFound',
        $fault: 'client',
      });
    return group;
  }

  private writeTargets(
    arn: string,
    targets: readonly Target[],
    write: (group: Map<string, TargetHealth>, target: Target) => void,
  ): TargetWriteResult {
    const group = this.groupTargets(arn);
    const done: Target[] = [];
    const rejected: TargetWriteResult['rejected'][number][] = [];
    for (const target of targets) {
      const instance = this.instances.get(target.id);
      if (instance?.state !== 'running') {
        rejected.push({
          target,
          code: 'InvalidTarget',
          message: `The following targets are not in a running state and cannot be registered: '${target.id}'`,
        });
      } else {
        write(group, target);
        done.push(target);
      }
    }
    return { done, rejected };
  }
}

/** How ELB reports an action it was given: redirect placeholders filled, forwards in both forms. */
function asReported(action: Action): Action {
  if (action.Type === 'redirect') {
    const redirect = action.RedirectConfig ?? {};
    return {
      ...action,
      RedirectConfig: {
        Protocol: '#{protocol}',
        Port: '#{port}',
        Host: '#{host}',
        Path: '/#{path}',
        Query: '#{query}',
        ...redirect,
      },
    };
  }
  if (action.Type === 'forward' && action.TargetGroupArn)
    return { ...forwardTo(action.TargetGroupArn), ...(action.Order ? { Order: action.Order } : {}) };
  return action;
}

export interface Recorded {
  readonly logs: { level: string; message: string; attributes?: Record<string, unknown> | undefined }[];
  readonly metrics: Map<string, number>;
}

export function recordingTelemetry(): Telemetry & Recorded {
  const logs: Recorded['logs'] = [];
  const metrics = new Map<string, number>();
  const at = (level: string) => (message: string, attributes?: Record<string, unknown>) =>
    logs.push({ level, message, attributes });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return {
    log,
    logs,
    metrics,
    count: (metric, value = 1) => metrics.set(metric, (metrics.get(metric) ?? 0) + value),
  };
}

export function fakeDeps(
  world: FakeWorld,
  config: WardenConfig,
  clock: { now: number } = { now: Date.parse('2026-11-20T06:00:00Z') },
) {
  const telemetry = recordingTelemetry();
  const state = new MemoryStateStore();
  const deps: Deps = {
    config,
    elb: world.elb,
    instances: world.ec2,
    scaling: world.scaling,
    history: world.history,
    alerts: world.alerts,
    state,
    telemetry,
    now: () => clock.now,
  };
  return { deps, telemetry, state, clock };
}
