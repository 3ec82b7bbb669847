/**
 * The repository app's Warden stack: one `AlbWarden` from the package's entry, as a user's app holds it. Its id
 * `Default` keeps the logical ids of stacks deployed before the construct existed (CDK leaves it out of them).
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlbWarden, type AlbWardenProps } from './index.ts';

export interface WardenStackProps extends StackProps, AlbWardenProps {}

export class WardenStack extends Stack {
  readonly warden: AlbWarden;

  constructor(scope: Construct, id: string, props: WardenStackProps) {
    super(scope, id, props);
    this.warden = new AlbWarden(this, 'Default', props);
  }

  get alerts(): AlbWarden['alerts'] {
    return this.warden.alerts;
  }
  get roles(): AlbWarden['roles'] {
    return this.warden.roles;
  }
  get configuration(): AlbWarden['configuration'] {
    return this.warden.configuration;
  }
  get functions(): AlbWarden['functions'] {
    return this.warden.functions;
  }
  get rules(): AlbWarden['rules'] {
    return this.warden.rules;
  }
  get monitoring(): AlbWarden['monitoring'] {
    return this.warden.monitoring;
  }
  get trail(): AlbWarden['trail'] {
    return this.warden.trail;
  }
}
