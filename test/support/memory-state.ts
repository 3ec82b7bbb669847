/** StateStore in memory, with the DynamoDB adapter's conditional semantics: for the demo and unit tests. */
import type { StateRecord, StateStore } from '../../functions/ports.ts';

export class MemoryStateStore implements StateStore {
  private readonly records = new Map<string, Map<string, StateRecord>>();

  /** Replaces a binding's records with `records`, versions included (a copy of another store's). */
  restore(binding: string, records: readonly StateRecord[]): void {
    this.records.set(binding, new Map(records.map((record) => [record.key, structuredClone(record)])));
  }

  async load(binding: string): Promise<StateRecord[]> {
    return [...(this.records.get(binding)?.values() ?? [])].map((record) => structuredClone(record));
  }

  async put(binding: string, record: StateRecord): Promise<boolean> {
    const records = this.records.get(binding) ?? new Map<string, StateRecord>();
    this.records.set(binding, records);
    const stored = records.get(record.key);
    if ((stored?.version ?? 0) !== record.version) return false;
    records.set(record.key, structuredClone({ ...record, version: record.version + 1 }));
    return true;
  }

  async remove(binding: string, key: string, version: number): Promise<boolean> {
    const records = this.records.get(binding);
    const stored = records?.get(key);
    if (!stored || stored.deleted || stored.version !== version) return false;
    // A tombstone, as the DynamoDB adapter leaves: the next writer expects its version.
    records?.set(key, { key, version: version + 1, data: undefined, deleted: true });
    return true;
  }

  async putUnlessMarked(
    binding: string,
    record: Omit<StateRecord, 'version'> & { readonly marker: string },
  ): Promise<boolean> {
    const stored = this.records.get(binding)?.get(record.key);
    if (stored?.marker === record.marker) return false;
    await this.putAll(binding, [record]);
    return true;
  }

  async putAll(binding: string, records: readonly Omit<StateRecord, 'version'>[]): Promise<void> {
    const stored = this.records.get(binding) ?? new Map<string, StateRecord>();
    this.records.set(binding, stored);
    for (const record of records) {
      const version = (stored.get(record.key)?.version ?? 0) + 1;
      stored.set(record.key, structuredClone({ ...record, version }));
    }
  }

  async removeAll(binding: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) this.records.get(binding)?.delete(key);
  }

  private readonly leases = new Map<string, { holder: string; untilMs: number }>();

  async lease(binding: string, holder: string, untilMs: number, nowMs: number): Promise<boolean> {
    const held = this.leases.get(binding);
    if (held && held.holder !== holder && held.untilMs > nowMs) return false;
    this.leases.set(binding, { holder, untilMs });
    return true;
  }

  async release(binding: string, holder: string): Promise<void> {
    if (this.leases.get(binding)?.holder === holder) this.leases.delete(binding);
  }
}
