/** STS AssumeRole for member credentials (adapters/accounts.ts caches what it returns). */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AssumeRole } from './accounts.ts';

export function stsAssumeRole(sts: STSClient): AssumeRole {
  return async ({ roleArn, sessionName, externalId }) => {
    const { Credentials: credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName,
        ...(externalId === undefined ? {} : { ExternalId: externalId }),
      }),
    );
    if (
      !credentials?.AccessKeyId ||
      !credentials.SecretAccessKey ||
      !credentials.SessionToken ||
      !credentials.Expiration
    )
      throw new Error(`AssumeRole of ${roleArn} returned no credentials`);
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  };
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both when a member is first reached. */
export const clientAndAdapter = { Client: STSClient, Adapter: stsAssumeRole };
