/**
 * CloudTrail trails: what decides whether "AWS API Call via CloudTrail" events reach EventBridge at all.
 * A trail created without selectors logs all management events (read and write); logging starts only with
 * StartLogging. https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html (the defaults)
 */
import { AwsError } from '../errors.ts';
import type { EventHistory } from '../history.ts';
import type { Call, Environment } from './context.ts';
import { type JsonBody, objectList, optionalString, requiredString, stringList } from './json-input.ts';

interface Trail {
  readonly name: string;
  readonly arn: string;
  readonly homeRegion: string;
  readonly s3BucketName: string;
  readonly isMultiRegionTrail: boolean;
  readonly includeGlobalServiceEvents: boolean;
  readonly isOrganizationTrail: boolean;
  logging: boolean;
  eventSelectors: JsonBody[] | undefined;
  advancedEventSelectors: JsonBody[] | undefined;
}

type Handler = (body: JsonBody, call: Call) => JsonBody;

const DEFAULT_SELECTORS: JsonBody[] = [
  {
    ReadWriteType: 'All',
    IncludeManagementEvents: true,
    DataResources: [],
    ExcludeManagementEventSources: [],
  },
];

export class CloudTrailService {
  readonly #env: Environment;
  readonly #history: EventHistory;
  readonly #trails = new Map<string, Trail>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateTrail: (body) => this.#createTrail(body),
    DeleteTrail: (body) => {
      this.#trails.delete(this.#trail(requiredString(body, 'Name')).name);
      return {};
    },
    StartLogging: (body) => this.#setLogging(body, true),
    StopLogging: (body) => this.#setLogging(body, false),
    PutEventSelectors: (body) => this.#putEventSelectors(body),
    GetEventSelectors: (body) => {
      const trail = this.#trail(requiredString(body, 'TrailName'));
      return trail.advancedEventSelectors
        ? { TrailARN: trail.arn, AdvancedEventSelectors: trail.advancedEventSelectors }
        : { TrailARN: trail.arn, EventSelectors: trail.eventSelectors ?? DEFAULT_SELECTORS };
    },
    DescribeTrails: (body) => this.#describeTrails(body),
    // https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html
    GetTrailStatus: (body) => ({ IsLogging: this.#trail(requiredString(body, 'Name')).logging }),
    // Event history is there with or without a trail (sim/history.ts).
    LookupEvents: (body, call) => this.#history.lookup(body, call.now),
  };

  constructor(env: Environment, history: EventHistory) {
    this.#env = env;
    this.#history = history;
  }

  #createTrail(body: JsonBody): JsonBody {
    const name = requiredString(body, 'Name');
    // Trail names: 3-128 letters, digits, periods, underscores and dashes, starting and ending with a letter or digit.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/.test(name))
      throw new AwsError('InvalidTrailNameException', `Trail name ${name} is not valid.`);
    if (this.#trails.has(name))
      throw new AwsError(
        'TrailAlreadyExistsException',
        `Trail ${name} already exists for customer: ${this.#env.account}`,
      );
    const trail: Trail = {
      name,
      arn: `arn:aws:cloudtrail:${this.#env.region}:${this.#env.account}:trail/${name}`,
      homeRegion: this.#env.region,
      s3BucketName: requiredString(body, 'S3BucketName'),
      isMultiRegionTrail: body.IsMultiRegionTrail === true,
      includeGlobalServiceEvents: body.IncludeGlobalServiceEvents !== false,
      isOrganizationTrail: body.IsOrganizationTrail === true,
      logging: false,
      eventSelectors: undefined,
      advancedEventSelectors: undefined,
    };
    this.#trails.set(name, trail);
    return this.#describe(trail);
  }

  /** A trail by name or ARN; TrailNotFoundException otherwise. */
  #trail(nameOrArn: string): Trail {
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':trail/')[1] ?? '') : nameOrArn;
    const trail = this.#trails.get(name);
    if (!trail)
      throw new AwsError(
        'TrailNotFoundException',
        `Unknown trail: ${nameOrArn} for the user: ${this.#env.account}`,
      );
    return trail;
  }

  #setLogging(body: JsonBody, logging: boolean): JsonBody {
    this.#trail(requiredString(body, 'Name')).logging = logging;
    return {};
  }

  /** Either basic or advanced selectors, never both (InvalidParameterCombinationException). */
  #putEventSelectors(body: JsonBody): JsonBody {
    const trail = this.#trail(requiredString(body, 'TrailName'));
    const basic = body.EventSelectors !== undefined;
    const advanced = body.AdvancedEventSelectors !== undefined;
    if (basic === advanced)
      throw new AwsError(
        'InvalidParameterCombinationException',
        'Specify either EventSelectors or AdvancedEventSelectors, but not both.',
      );
    if (basic) {
      const selectors = objectList(body, 'EventSelectors').map((selector) => ({
        ReadWriteType: optionalString(selector, 'ReadWriteType') ?? 'All',
        IncludeManagementEvents: selector.IncludeManagementEvents !== false,
        DataResources: objectList(selector, 'DataResources'),
        ExcludeManagementEventSources: stringList(selector, 'ExcludeManagementEventSources'),
      }));
      for (const selector of selectors)
        if (!['All', 'ReadOnly', 'WriteOnly'].includes(selector.ReadWriteType))
          throw new AwsError(
            'InvalidEventSelectorsException',
            `Invalid ReadWriteType ${selector.ReadWriteType}`,
          );
      trail.eventSelectors = selectors;
      trail.advancedEventSelectors = undefined;
      return { TrailARN: trail.arn, EventSelectors: selectors };
    }
    trail.advancedEventSelectors = objectList(body, 'AdvancedEventSelectors');
    trail.eventSelectors = undefined;
    return { TrailARN: trail.arn, AdvancedEventSelectors: trail.advancedEventSelectors };
  }

  /**
   * Trails of this region, and with `includeShadowTrails` (the default) multi-region trails of other regions.
   * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html
   */
  #describeTrails(body: JsonBody): JsonBody {
    const names = stringList(body, 'trailNameList');
    const trails = [...this.#trails.values()].filter(
      (trail) => names.length === 0 || names.includes(trail.name) || names.includes(trail.arn),
    );
    return { trailList: trails.map((trail) => this.#describe(trail)) };
  }

  #describe(trail: Trail): JsonBody {
    return {
      Name: trail.name,
      S3BucketName: trail.s3BucketName,
      IncludeGlobalServiceEvents: trail.includeGlobalServiceEvents,
      IsMultiRegionTrail: trail.isMultiRegionTrail,
      HomeRegion: trail.homeRegion,
      TrailARN: trail.arn,
      LogFileValidationEnabled: false,
      HasCustomEventSelectors:
        trail.eventSelectors !== undefined || trail.advancedEventSelectors !== undefined,
      HasInsightSelectors: false,
      IsOrganizationTrail: trail.isOrganizationTrail,
    };
  }
}
