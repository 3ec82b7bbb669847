/**
 * Everything the simulator remembers: the four services' state, the event log, identities, injected
 * faults, call counters, settings and the virtual clock.
 */

import { elbv2ApiCall } from './api-calls.ts';
import { CloudTrailDelivery } from './cloudtrail.ts';
import { AwsError } from './errors.ts';
import {
  type ApiCall,
  apiCallEvent,
  type Caller,
  type EventBridgeEvent,
  EventLog,
  Identities,
} from './events.ts';
import { type AnyService, Faults, SERVICES, type ServiceName } from './faults.ts';
import { EventHistory, historyResources, isManagementEvent } from './history.ts';
import { QueryInput, type QueryTree } from './protocols/query.ts';
import { CertificateStore } from './services/acm.ts';
import { AutoScalingService } from './services/autoscaling.ts';
import { CloudFormationService } from './services/cloudformation.ts';
import { CloudTrailService } from './services/cloudtrail.ts';
import { CloudWatchService } from './services/cloudwatch.ts';
import { DynamoDbService } from './services/dynamodb.ts';
import { Ec2Service } from './services/ec2.ts';
import { Elbv2Service } from './services/elbv2.ts';
import { EventBridgeService } from './services/eventbridge.ts';
import { IamService } from './services/iam.ts';
import { KmsService } from './services/kms.ts';
import { SnsService } from './services/sns.ts';
import { SqsService } from './services/sqs.ts';
import { type StsDirectory, StsService } from './services/sts.ts';
import { TaggingService } from './services/tagging.ts';
import { Clock, type SimSettings } from './settings.ts';
import { Throttling } from './throttling.ts';

/** Calls per service and action: SERVICES always, the others once called. */
export type CallCounts = Record<ServiceName, Record<string, number>>;

/** What an operator's diagnosis reads (alb-warden doctor): services the controller itself never calls. */
function createOperatorServices(world: World) {
  return {
    sqs: new SqsService(world),
    cloudtrail: new CloudTrailService(world, world.history),
    events: new EventBridgeService(world),
    monitoring: new CloudWatchService(),
    kms: new KmsService(world),
    iam: new IamService(world),
    cloudformation: new CloudFormationService(world),
  };
}

export type OperatorServices = ReturnType<typeof createOperatorServices>;

/** What ties a world to the others of a simulator serving several accounts and regions (sim/accounts.ts). */
export interface WorldLinks {
  /** One clock for every world. @default a clock of its own */
  readonly clock?: Clock;
  /** Where STS finds roles and records the sessions it issues. @default - STS is not served */
  readonly sts?: StsDirectory;
  /** Sees every event of this world's default bus, to forward it as the bus's rules say. */
  readonly onEvent?: (world: World, event: EventBridgeEvent) => void;
}

export class World {
  readonly account: string;
  readonly region: string;
  readonly clock: Clock;
  readonly #initialSettings: SimSettings;
  readonly #links: WorldLinks;
  #settings: SimSettings;
  #events: EventLog;
  #cloudTrail = new CloudTrailDelivery();
  #history = new EventHistory();
  #identities: Identities;
  #faults = new Faults();
  #throttling = new Throttling();
  #calls = emptyCounts();
  #ec2: Ec2Service;
  #elbv2: Elbv2Service;
  #sns: SnsService;
  #dynamodb: DynamoDbService;
  #autoscaling: AutoScalingService;
  #certificates: CertificateStore;
  #operator: OperatorServices;
  readonly #tagging = new TaggingService(() => this.#elbv2.taggedResources());
  readonly #sts: StsService;

  constructor(account: string, region: string, settings: SimSettings, links: WorldLinks = {}) {
    this.account = account;
    this.region = region;
    this.clock = links.clock ?? new Clock();
    this.#links = links;
    this.#events = this.#newEventLog();
    this.#initialSettings = settings;
    this.#settings = settings;
    this.#identities = new Identities(account);
    this.#ec2 = new Ec2Service(this);
    this.#certificates = new CertificateStore(this.account, this.region);
    this.#elbv2 = new Elbv2Service(this, this.#ec2, this.#certificates);
    this.#operator = createOperatorServices(this);
    this.#sns = new SnsService(this, this.#operator.sqs);
    this.#dynamodb = new DynamoDbService(this);
    this.#autoscaling = this.#newAutoScaling();
    this.#sts = new StsService(this, links.sts);
  }

  #newEventLog(): EventLog {
    const { onEvent } = this.#links;
    return new EventLog(onEvent && ((event) => onEvent(this, event)));
  }

  #newAutoScaling(): AutoScalingService {
    return new AutoScalingService({
      env: this,
      ec2: this.#ec2,
      elbv2: (caller, action, query) => this.#serviceElbv2Call(caller, action, query),
      draining: (groupArn, instanceId) => this.#elbv2.isDraining(groupArn, instanceId),
      targetGroupExists: (arn) => this.#elbv2.targetGroupExists(arn),
      serviceRole: (since) =>
        this.#identities.serviceLinkedRole(
          'autoscaling.amazonaws.com',
          'AWSServiceRoleForAutoScaling',
          'AutoScaling',
          since,
        ),
    });
  }

  /** An ELBv2 call an AWS service makes inside the simulator, recorded in CloudTrail like a client's. */
  #serviceElbv2Call(caller: Caller, action: string, query: QueryTree): void {
    const now = this.clock.now();
    let result: Record<string, unknown> | undefined;
    let failure: AwsError | undefined;
    try {
      result = this.#elbv2.handlers[action]?.(new QueryInput(query), { now });
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      failure = error;
    }
    this.recordApiCall(elbv2ApiCall({ action, query, at: now, caller, result, failure }));
  }

  get events(): EventLog {
    return this.#events;
  }
  get cloudTrail(): CloudTrailDelivery {
    return this.#cloudTrail;
  }
  get history(): EventHistory {
    return this.#history;
  }
  get identities(): Identities {
    return this.#identities;
  }
  get faults(): Faults {
    return this.#faults;
  }
  get throttling(): Throttling {
    return this.#throttling;
  }
  get ec2(): Ec2Service {
    return this.#ec2;
  }
  get elbv2(): Elbv2Service {
    return this.#elbv2;
  }
  get sns(): SnsService {
    return this.#sns;
  }
  get dynamodb(): DynamoDbService {
    return this.#dynamodb;
  }
  get certificates(): CertificateStore {
    return this.#certificates;
  }
  get autoscaling(): AutoScalingService {
    return this.#autoscaling;
  }

  /** Every service that answers AWS calls, by the name the server routes by. */
  get services() {
    return {
      ec2: this.#ec2,
      elbv2: this.#elbv2,
      sns: this.#sns,
      dynamodb: this.#dynamodb,
      autoscaling: this.#autoscaling,
      tagging: this.#tagging,
      sts: this.#sts,
      ...this.#operator,
    };
  }

  settings(): SimSettings {
    return this.#settings;
  }

  updateSettings(settings: SimSettings): void {
    this.#settings = settings;
  }

  /** An empty world, as at start: resources, events, messages, identities, faults and counters are gone. */
  reset(): void {
    this.#settings = this.#initialSettings;
    this.#events = this.#newEventLog();
    this.#cloudTrail = new CloudTrailDelivery();
    this.#history = new EventHistory();
    this.#identities = new Identities(this.account);
    this.#faults = new Faults();
    this.#throttling = new Throttling();
    this.#calls = emptyCounts();
    this.#ec2 = new Ec2Service(this);
    this.#certificates = new CertificateStore(this.account, this.region);
    this.#elbv2 = new Elbv2Service(this, this.#ec2, this.#certificates);
    this.#operator = createOperatorServices(this);
    this.#sns = new SnsService(this, this.#operator.sqs);
    this.#dynamodb = new DynamoDbService(this);
    this.#autoscaling = this.#newAutoScaling();
  }

  /** Applies every time-based change due by now; called at the start of every request. */
  advance(): void {
    const now = this.clock.now();
    this.#ec2.advance(now);
    this.#elbv2.advance(now);
    this.#autoscaling.advance(now);
    this.#dynamodb.advance(now);
    this.#cloudTrail.release(now, this.#events);
  }

  /**
   * Records a call in CloudTrail: in its event history when it is a management event, and for the ELB writes
   * the guard watches, to EventBridge as the delivery rules say.
   */
  recordApiCall(call: ApiCall, options: { readonly deliver?: boolean } = {}): void {
    const event = apiCallEvent(this, call);
    if (isManagementEvent(call.eventSource, call.eventName))
      this.#history.record(event.detail, call.at, historyResources(call));
    if (options.deliver === false) return;
    this.#cloudTrail.deliver(event, call.eventName, call.at, this.#events, this.clock.now());
  }

  countCall(service: AnyService, action: string): void {
    const calls = this.#calls as Partial<Record<AnyService, Record<string, number>>>;
    const counts = calls[service] ?? {};
    counts[action] = (counts[action] ?? 0) + 1;
    calls[service] = counts;
  }

  get calls(): CallCounts {
    return structuredClone(this.#calls);
  }

  resetCalls(): void {
    this.#calls = emptyCounts();
  }
}

function emptyCounts(): CallCounts {
  return Object.fromEntries(SERVICES.map((service) => [service, {}])) as CallCounts;
}
