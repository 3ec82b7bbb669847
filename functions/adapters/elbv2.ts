/**
 * LoadBalancing over the ELBv2 API (SDK v3). Pagination and batching are hidden here: callers get whole
 * lists, and target writes go out in batches of 200 with refused targets isolated and reported.
 */
import {
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  DeleteRuleCommand,
  DeregisterTargetsCommand,
  DescribeListenerCertificatesCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type DescribeTargetHealthCommandOutput,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyTargetGroupCommand,
  type MutualAuthenticationAttributes,
  RegisterTargetsCommand,
  type Action as SdkAction,
  type Listener as SdkListener,
  type Rule as SdkRule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ListenerRequest } from '../domain/listeners.ts';
import type * as Model from '../domain/model.ts';
import { AwsCallError, awsCall, awsErrorCode, isAwsError } from '../errors.ts';
import type { LoadBalancing, TargetWriteResult } from '../ports.ts';
import { API_LIMITS, chunk } from './batches.ts';
import { streamTargetHealth } from './elbv2-stream.ts';
import { SdkAdapter } from './sdk-adapter.ts';

/**
 * Batches of our choosing, not in API_LIMITS: the API reference gives no maximum for the targets of one
 * RegisterTargets/DeregisterTargets call nor for DescribeTargetGroups' TargetGroupArns, so a request stays
 * small enough that one refused batch costs little.
 */
const TARGET_BATCH = 200;
const TARGET_GROUP_BATCH = 20;
const INSTANCE_ID = /\bi-[0-9a-f]{8,17}\b/g;
/**
 * ELB's default when a group does not report the attribute.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html
 */
const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

export class ElbV2LoadBalancing extends SdkAdapter<ElasticLoadBalancingV2Client> implements LoadBalancing {
  async describeTargetHealth(
    targetGroupArn: string,
    targets?: readonly Model.Target[],
  ): Promise<Model.TargetHealth[]> {
    let output: DescribeTargetHealthCommandOutput;
    const command = new DescribeTargetHealthCommand({
      TargetGroupArn: targetGroupArn,
      Targets: targets?.map((target) => ({ Id: target.id, Port: target.port })),
    });
    const streamed = streamTargetHealth(command);
    try {
      output = await this.client.send(command);
    } catch (error) {
      // Asked about one target that no longer exists (a terminated instance EC2 forgot), AWS answers
      // InvalidTarget: such a target cannot be registered.
      const [only] = targets ?? [];
      if (only && targets?.length === 1 && isAwsError(error, 'InvalidTarget')) {
        return [
          {
            ...only,
            state: 'unused',
            reasonCode: 'Target.NotRegistered',
            description: 'The target does not exist',
          },
        ];
      }
      throw new AwsCallError('DescribeTargetHealth', error, targetGroupArn);
    }
    return streamed() ?? targetHealthOf(output);
  }

  registerTargets(targetGroupArn: string, targets: readonly Model.Target[]): Promise<TargetWriteResult> {
    return this.writeTargets('RegisterTargets', targetGroupArn, targets, (batch) =>
      this.client.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch })),
    );
  }

  deregisterTargets(targetGroupArn: string, targets: readonly Model.Target[]): Promise<TargetWriteResult> {
    return this.writeTargets('DeregisterTargets', targetGroupArn, targets, (batch) =>
      this.client.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch })),
    );
  }

  /**
   * AWS refuses a whole batch when one target is invalid (InvalidTarget names it), so the named targets are
   * set aside and the rest of the batch is sent again: one bad instance never loses the others.
   */
  private async writeTargets(
    action: string,
    targetGroupArn: string,
    targets: readonly Model.Target[],
    send: (batch: { Id: string; Port: number }[]) => Promise<unknown>,
  ): Promise<TargetWriteResult> {
    const done: Model.Target[] = [];
    const rejected: { target: Model.Target; code: string; message: string }[] = [];
    for (const batch of chunk(targets, TARGET_BATCH)) {
      let pending = batch;
      while (pending.length > 0) {
        try {
          await send(pending.map((target) => ({ Id: target.id, Port: target.port })));
          done.push(...pending);
          pending = [];
        } catch (error) {
          if (!isAwsError(error, 'InvalidTarget')) throw new AwsCallError(action, error, targetGroupArn);
          const message = error instanceof Error ? error.message : String(error);
          const named = new Set(message.match(INSTANCE_ID) ?? []);
          const refused = pending.filter((target) => named.has(target.id));
          // A refusal that names none of our targets cannot be narrowed down: refuse them all, loudly.
          const setAside = refused.length > 0 ? refused : pending;
          for (const target of setAside)
            rejected.push({ target, code: awsErrorCode(error) ?? 'InvalidTarget', message });
          pending = refused.length > 0 ? pending.filter((target) => !named.has(target.id)) : [];
        }
      }
    }
    return { done, rejected };
  }

  async describeTargetGroups(arns: readonly string[]): Promise<Model.TargetGroup[]> {
    const groups: Model.TargetGroup[] = [];
    for (const batch of chunk(arns, TARGET_GROUP_BATCH)) {
      try {
        groups.push(...(await this.describeGroups(batch)));
      } catch (error) {
        if (!isAwsError(error, 'TargetGroupNotFound')) throw error;
        // One missing group fails the whole call; ask one by one to learn which exist.
        if (batch.length === 1) continue;
        for (const arn of batch) groups.push(...(await this.describeTargetGroups([arn])));
      }
    }
    return groups;
  }

  private async describeGroups(arns: readonly string[]): Promise<Model.TargetGroup[]> {
    const output = await awsCall('DescribeTargetGroups', () =>
      this.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [...arns] })),
    );
    return (output.TargetGroups ?? []).map((group) => ({
      arn: group.TargetGroupArn ?? '',
      vpcId: group.VpcId,
      loadBalancerArns: group.LoadBalancerArns ?? [],
      healthCheck: {
        protocol: group.HealthCheckProtocol,
        port: group.HealthCheckPort,
        path: group.HealthCheckPath,
        matcher: group.Matcher?.HttpCode,
        intervalSeconds: group.HealthCheckIntervalSeconds,
        timeoutSeconds: group.HealthCheckTimeoutSeconds,
        healthyThreshold: group.HealthyThresholdCount,
        unhealthyThreshold: group.UnhealthyThresholdCount,
      },
    }));
  }

  async deregistrationDelaySeconds(targetGroupArn: string): Promise<number> {
    const output = await awsCall('DescribeTargetGroupAttributes', () =>
      this.client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn })),
    );
    const value = output.Attributes?.find(
      (attribute) => attribute.Key === 'deregistration_delay.timeout_seconds',
    )?.Value;
    const seconds = Number(value);
    return value !== undefined && Number.isFinite(seconds) && seconds >= 0
      ? seconds
      : DEFAULT_DEREGISTRATION_DELAY_SECONDS;
  }

  async modifyHealthCheck(targetGroupArn: string, healthCheck: Model.TargetGroupHealthCheck): Promise<void> {
    await awsCall('ModifyTargetGroup', () =>
      this.client.send(
        new ModifyTargetGroupCommand({
          TargetGroupArn: targetGroupArn,
          HealthCheckProtocol: healthCheck.protocol as 'HTTP' | 'HTTPS' | undefined,
          HealthCheckPort: healthCheck.port,
          HealthCheckPath: healthCheck.path,
          HealthCheckIntervalSeconds: healthCheck.intervalSeconds,
          HealthCheckTimeoutSeconds: healthCheck.timeoutSeconds,
          HealthyThresholdCount: healthCheck.healthyThreshold,
          UnhealthyThresholdCount: healthCheck.unhealthyThreshold,
          Matcher: healthCheck.matcher === undefined ? undefined : { HttpCode: healthCheck.matcher },
        }),
      ),
    );
  }

  listListeners(loadBalancerArn: string): Promise<Model.Listener[]> {
    return this.pages('DescribeListeners', async (marker) => {
      const output = await this.client.send(
        new DescribeListenersCommand({
          LoadBalancerArn: loadBalancerArn,
          Marker: marker,
          PageSize: API_LIMITS.elbPage,
        }),
      );
      return {
        items: (output.Listeners ?? []).map((listener) => toListener(listener, loadBalancerArn)),
        next: output.NextMarker,
      };
    });
  }

  async listCertificates(listenerArn: string): Promise<string[]> {
    const certificates = await this.pages('DescribeListenerCertificates', async (marker) => {
      const output = await this.client.send(
        new DescribeListenerCertificatesCommand({
          ListenerArn: listenerArn,
          Marker: marker,
          PageSize: API_LIMITS.elbPage,
        }),
      );
      return { items: output.Certificates ?? [], next: output.NextMarker };
    });
    return certificates.flatMap((certificate) =>
      !certificate.IsDefault && certificate.CertificateArn ? [certificate.CertificateArn] : [],
    );
  }

  /** One certificate per call, as AddListenerCertificates takes them. */
  async addCertificates(listenerArn: string, certificateArns: readonly string[]): Promise<void> {
    for (const arn of certificateArns) {
      await awsCall('AddListenerCertificates', () =>
        this.client.send(
          new AddListenerCertificatesCommand({
            ListenerArn: listenerArn,
            Certificates: [{ CertificateArn: arn }],
          }),
        ),
      );
    }
  }

  listRules(listenerArn: string): Promise<Model.Rule[]> {
    return this.pages('DescribeRules', async (marker) => {
      const output = await this.client.send(
        new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker, PageSize: API_LIMITS.elbPage }),
      );
      return { items: (output.Rules ?? []).map(toRule), next: output.NextMarker };
    });
  }

  /** Every page of a Marker-paginated describe call. */
  private async pages<T>(
    action: string,
    page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let marker: string | undefined;
    do {
      const result = await awsCall(action, () => page(marker));
      items.push(...result.items);
      marker = result.next;
    } while (marker);
    return items;
  }

  async createListener(loadBalancerArn: string, request: ListenerRequest): Promise<Model.Listener> {
    const output = await awsCall('CreateListener', () =>
      this.client.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Port: request.port,
          ...listenerFields(request),
        }),
      ),
    );
    return toListener(onlyListener('CreateListener', output.Listeners, loadBalancerArn), loadBalancerArn);
  }

  async modifyListener(listenerArn: string, request: ListenerRequest): Promise<Model.Listener> {
    const output = await awsCall('ModifyListener', () =>
      this.client.send(new ModifyListenerCommand({ ListenerArn: listenerArn, ...listenerFields(request) })),
    );
    const listener = onlyListener('ModifyListener', output.Listeners, listenerArn);
    return toListener(listener, listener.LoadBalancerArn ?? '');
  }

  async deleteRule(ruleArn: string): Promise<void> {
    try {
      await this.client.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
    } catch (error) {
      // Already gone is what we wanted.
      if (isAwsError(error, 'RuleNotFound')) return;
      throw new AwsCallError('DeleteRule', error, ruleArn);
    }
  }
}

function toListener(listener: SdkListener, loadBalancerArn: string): Model.Listener {
  return {
    arn: listener.ListenerArn ?? '',
    loadBalancerArn: listener.LoadBalancerArn ?? loadBalancerArn,
    port: listener.Port ?? 0,
    protocol: listener.Protocol ?? '',
    sslPolicy: listener.SslPolicy,
    certificateArns: (listener.Certificates ?? []).flatMap((certificate) =>
      certificate.CertificateArn ? [certificate.CertificateArn] : [],
    ),
    defaultActions: (listener.DefaultActions ?? []) as Model.Action[],
    mutualAuthentication: listener.MutualAuthentication as Model.Listener['mutualAuthentication'],
  };
}

function toRule(rule: SdkRule): Model.Rule {
  return {
    arn: rule.RuleArn ?? '',
    priority: rule.Priority ?? '',
    isDefault: rule.IsDefault ?? false,
    conditions: rule.Conditions ?? [],
    actions: (rule.Actions ?? []) as Model.Action[],
  };
}

/** Domain actions already have the API's shape; only the enum-typed fields need the SDK's types. */
function toSdkActions(actions: readonly Model.Action[]): SdkAction[] {
  return actions.map((action) => structuredClone(action) as SdkAction);
}

/** What CreateListener and ModifyListener take alike; fields left out are not changed. */
function listenerFields(request: ListenerRequest) {
  return {
    Protocol: request.protocol,
    DefaultActions: toSdkActions(request.defaultActions),
    Certificates: request.certificateArns?.map((arn) => ({ CertificateArn: arn })),
    SslPolicy: request.sslPolicy,
    MutualAuthentication: request.mutualAuthentication as MutualAuthenticationAttributes | undefined,
  };
}

function onlyListener<T>(action: string, listeners: readonly T[] | undefined, arn: string): T {
  const [listener] = listeners ?? [];
  if (!listener) throw new AwsCallError(action, new Error('AWS returned no listener'), arn);
  return listener;
}

/** The targets from the SDK's own output, when the answer did not stream through (a stubbed client). */
function targetHealthOf(output: DescribeTargetHealthCommandOutput): Model.TargetHealth[] {
  return (output.TargetHealthDescriptions ?? []).flatMap((description) => {
    const id = description.Target?.Id;
    if (!id) return [];
    return [
      {
        id,
        port: description.Target?.Port ?? 0,
        state: (description.TargetHealth?.State ?? 'unavailable') as Model.TargetHealth['state'],
        reasonCode: description.TargetHealth?.Reason,
        description: description.TargetHealth?.Description,
      },
    ];
  });
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both on the port's first call. */
export const clientAndAdapter = { Client: ElasticLoadBalancingV2Client, Adapter: ElbV2LoadBalancing };
