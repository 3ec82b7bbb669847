/**
 * DescribeTargetHealth read as it streams (see xml-stream.ts): one answer lists every target of the group,
 * 10,000 of them in the largest groups, of which the controller keeps id, port, state, reason and
 * description. Element paths from the ELBv2 API reference (DescribeTargetHealth response:
 * TargetHealthDescriptions / member; https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html).
 */
import type { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetHealth } from '../domain/model.ts';
import { type KeptFields, streamResponse, XmlStreamReader } from './xml-stream.ts';

// DescribeTargetHealthResponse / DescribeTargetHealthResult / TargetHealthDescriptions / member.
const MEMBER_DEPTH = 4;
const EMPTY_ANSWER = new TextEncoder().encode(
  '<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetHealthResult><TargetHealthDescriptions/></DescribeTargetHealthResult></DescribeTargetHealthResponse>',
);

/** Where each kept field stands below the target's `member`. */
const FIELDS = {
  'Target/Id': 'id',
  'Target/Port': 'port',
  'TargetHealth/State': 'state',
  'TargetHealth/Reason': 'reasonCode',
  'TargetHealth/Description': 'description',
} as const;

type Building = KeptFields<typeof FIELDS>;

export class TargetHealthReader extends XmlStreamReader<TargetHealth[]> {
  readonly #targets: TargetHealth[] = [];
  #building: Building | undefined;

  protected override opened(): void {
    if (this.#isMember()) this.#building = {};
  }

  protected override closed(): void {
    const building = this.#building;
    if (!building) return;
    // The fields are two levels under the member (Target/Id, TargetHealth/State …).
    if (this.stack.length === MEMBER_DEPTH + 2)
      this.keepField(building, FIELDS, this.stack.slice(MEMBER_DEPTH).join('/'));
    if (this.#isMember()) {
      if (building.id) {
        this.#targets.push({
          id: building.id,
          port: Number(building.port ?? 0),
          state: (building.state ?? 'unavailable') as TargetHealth['state'],
          reasonCode: building.reasonCode,
          description: building.description,
        });
      }
      this.#building = undefined;
    }
  }

  protected override result(): TargetHealth[] {
    return this.#targets;
  }

  #isMember(): boolean {
    const stack = this.stack;
    return stack.length === MEMBER_DEPTH && stack[2] === 'TargetHealthDescriptions' && stack[3] === 'member';
  }
}

/** Makes `command` stream its answer; the targets read, or undefined when the SDK's own output stands. */
export function streamTargetHealth(command: DescribeTargetHealthCommand): () => TargetHealth[] | undefined {
  return streamResponse(command, () => new TargetHealthReader(), EMPTY_ANSWER);
}
