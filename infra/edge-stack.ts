/**
 * The repository app's Edge stack: one `AlbWardenEdge` from the package's entry, as a user's app holds it. Its id
 * `Default` keeps the logical ids of stacks deployed before the construct existed (CDK leaves it out of them).
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlbWardenEdge, type AlbWardenEdgeProps } from './index.ts';

export interface EdgeStackProps extends StackProps, AlbWardenEdgeProps {}

export class EdgeStack extends Stack {
  readonly topology: AlbWardenEdge;

  private readonly givenAvailabilityZones?: readonly string[];

  constructor(scope: Construct, id: string, props: EdgeStackProps = {}) {
    super(scope, id, props);
    this.givenAvailabilityZones = props.availabilityZones;
    this.topology = new AlbWardenEdge(this, 'Default', props);
  }

  /** Given zones replace the AZ lookup (which needs credentials), as the Stack documentation suggests. */
  override get availabilityZones(): string[] {
    return this.givenAvailabilityZones ? [...this.givenAvailabilityZones] : super.availabilityZones;
  }

  get vpc(): AlbWardenEdge['vpc'] {
    return this.topology.vpc;
  }
  get loadBalancer(): AlbWardenEdge['loadBalancer'] {
    return this.topology.loadBalancer;
  }
  get targetGroup(): AlbWardenEdge['targetGroup'] {
    return this.topology.targetGroup;
  }
  get httpsListener(): AlbWardenEdge['httpsListener'] {
    return this.topology.httpsListener;
  }
  get httpListener(): AlbWardenEdge['httpListener'] {
    return this.topology.httpListener;
  }
  get albSecurityGroup(): AlbWardenEdge['albSecurityGroup'] {
    return this.topology.albSecurityGroup;
  }
  get instanceSecurityGroup(): AlbWardenEdge['instanceSecurityGroup'] {
    return this.topology.instanceSecurityGroup;
  }
  get certificateArn(): AlbWardenEdge['certificateArn'] {
    return this.topology.certificateArn;
  }
  get sslPolicy(): AlbWardenEdge['sslPolicy'] {
    return this.topology.sslPolicy;
  }
  get healthCheck(): AlbWardenEdge['healthCheck'] {
    return this.topology.healthCheck;
  }
  get parameterNames(): AlbWardenEdge['parameterNames'] {
    return this.topology.parameterNames;
  }
}
