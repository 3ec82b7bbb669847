/**
 * The certificates the account holds in ACM (or IAM), which HTTPS listeners may use; ACM's API itself is
 * not simulated. A fresh world holds the seed topology's certificate, as an account running the seed
 * would; the control API issues and deletes others.
 */

/** The seed certificate's id; its ARN takes the world's account and region. */
export const SEED_CERTIFICATE_ID = '3f4e6a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

const CERTIFICATE_ARN =
  /^arn:aws[\w-]*:(?:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+|iam::\d{12}:server-certificate\/.+)$/;

/** Thrown for a certificate ARN of another form; the message names it. */
export class CertificateError extends Error {
  override readonly name = 'CertificateError';
}

export class CertificateStore {
  readonly #arns = new Set<string>();

  constructor(account: string, region: string) {
    this.#arns.add(`arn:aws:acm:${region}:${account}:certificate/${SEED_CERTIFICATE_ID}`);
  }

  has(arn: string): boolean {
    return this.#arns.has(arn);
  }

  issue(arn: string): void {
    if (!CERTIFICATE_ARN.test(arn)) {
      throw new CertificateError(
        `certificateArn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID) or an IAM server certificate ARN, got ${JSON.stringify(arn)}`,
      );
    }
    this.#arns.add(arn);
  }

  delete(arn: string): void {
    this.#arns.delete(arn);
  }

  list(): string[] {
    return [...this.#arns];
  }
}
