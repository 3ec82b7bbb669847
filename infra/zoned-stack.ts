/**
 * A stack whose given availability zones replace the AZ lookup (which needs credentials), as the Stack
 * documentation suggests: a new VPC in named zones then synthesizes offline.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export interface ZonedStackProps extends StackProps {
  /** @default looked up in the target account and region */
  readonly availabilityZones?: readonly string[];
}

export class ZonedStack extends Stack {
  private readonly givenAvailabilityZones?: readonly string[];

  constructor(scope: Construct, id: string, props: ZonedStackProps = {}) {
    const { availabilityZones, ...stackProps } = props;
    super(scope, id, stackProps);
    this.givenAvailabilityZones = availabilityZones;
  }

  override get availabilityZones(): string[] {
    return this.givenAvailabilityZones ? [...this.givenAvailabilityZones] : super.availabilityZones;
  }
}
