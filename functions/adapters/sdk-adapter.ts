/** An adapter over one AWS SDK client, which it is given: tests and the simulator's clients stand in for AWS. */
export abstract class SdkAdapter<Client> {
  protected readonly client: Client;

  constructor(client: Client) {
    this.client = client;
  }
}
