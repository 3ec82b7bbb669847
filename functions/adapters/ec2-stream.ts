/**
 * DescribeInstances read as it streams (see xml-stream.ts): a page of 1,000 instances is megabytes of XML of
 * which the controller keeps the id, state, VPC, zone, launch time and tags of each instance, and the next
 * token. Element paths from the EC2 API reference (DescribeInstances response: reservationSet / item /
 * instancesSet / item; https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html).
 */
import type { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { Instance, InstanceState } from '../domain/model.ts';
import { type KeptFields, streamResponse, XmlStreamReader } from './xml-stream.ts';

export interface InstancePage {
  readonly instances: Instance[];
  readonly nextToken: string | undefined;
}

// Depth of an instance's own `item`: DescribeInstancesResponse / reservationSet / item / instancesSet / item.
const INSTANCE_DEPTH = 5;
const EMPTY_PAGE = new TextEncoder().encode(
  '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><reservationSet/></DescribeInstancesResponse>',
);

/** An instance's fields as read so far; a tag's key and value make one of its tags once the tag ends. */
interface Building extends KeptFields<typeof FIELDS> {
  tags: Record<string, string>;
}

export class InstancePageReader extends XmlStreamReader<InstancePage> {
  readonly #instances: Instance[] = [];
  #building: Building | undefined;
  #nextToken: string | undefined;

  protected override opened(): void {
    if (this.#isInstanceItem()) this.#building = { tags: {} };
  }

  protected override closed(name: string): void {
    const stack = this.stack;
    if (stack.length === 2 && name === 'nextToken') this.#nextToken = this.text();
    const building = this.#building;
    // The fields are at most three levels under the instance (tagSet/item/key).
    if (building && stack.length > INSTANCE_DEPTH && stack.length <= INSTANCE_DEPTH + 3) {
      const path = stack.slice(INSTANCE_DEPTH).join('/');
      if (!this.keepField(building, FIELDS, path) && path === 'tagSet/item') endTag(building);
    }
    if (building && this.#isInstanceItem()) {
      if (building.id) this.#instances.push(instanceOf(building));
      this.#building = undefined;
    }
  }

  protected override result(): InstancePage {
    return { instances: this.#instances, nextToken: this.#nextToken };
  }

  #isInstanceItem(): boolean {
    const stack = this.stack;
    return (
      stack.length === INSTANCE_DEPTH &&
      stack[1] === 'reservationSet' &&
      stack[2] === 'item' &&
      stack[3] === 'instancesSet' &&
      stack[4] === 'item'
    );
  }
}

/** Where each kept field stands below the instance's `item`. */
const FIELDS = {
  instanceId: 'id',
  'instanceState/name': 'state',
  vpcId: 'vpcId',
  'placement/availabilityZone': 'availabilityZone',
  launchTime: 'launchTime',
  'tagSet/item/key': 'tagKey',
  'tagSet/item/value': 'tagValue',
} as const;

/** A tag's `item` closed: its key and value make one tag. */
function endTag(building: Building): void {
  if (building.tagKey) building.tags[building.tagKey] = building.tagValue ?? '';
  building.tagKey = undefined;
  building.tagValue = undefined;
}

function instanceOf(building: Building): Instance {
  return {
    id: building.id ?? '',
    state: (building.state ?? 'pending') as InstanceState,
    vpcId: building.vpcId,
    availabilityZone: building.availabilityZone,
    // As the SDK gives it (a Date, then toISOString): one spelling whatever EC2's precision.
    launchTime: building.launchTime ? new Date(building.launchTime).toISOString() : undefined,
    tags: building.tags,
  };
}

/** Makes `command` stream its page; the page read, or undefined when the SDK's own output stands. */
export function streamInstances(command: DescribeInstancesCommand): () => InstancePage | undefined {
  return streamResponse(command, () => new InstancePageReader(), EMPTY_PAGE);
}
