/**
 * One binding's records, loaded with one Query, and written back with the version each was read at: a
 * write loses (returns false) when another invocation changed the record in between. In an operator's
 * preview the writes stay in memory: the plan is carried out on paper, against the real records.
 */
import type { RecordWrite, StateRecord, StateStore } from '../ports.ts';

export class BindingState {
  private readonly records: Map<string, StateRecord>;
  readonly binding: string;
  private readonly store: StateStore;
  private readonly onPaper: boolean;

  private constructor(store: StateStore, binding: string, records: readonly StateRecord[], onPaper: boolean) {
    this.store = store;
    this.onPaper = onPaper;
    this.binding = binding;
    this.records = new Map(records.map((record) => [record.key, record]));
  }

  /** `onPaper`: keep writes in memory (an operator's preview writes nothing). */
  static async load(store: StateStore, binding: string, onPaper = false): Promise<BindingState> {
    return new BindingState(store, binding, await store.load(binding), onPaper);
  }

  data(key: string): unknown {
    return this.records.get(key)?.data;
  }

  /** When the table may delete the record (epoch seconds); undefined without a TTL. */
  expiresAt(key: string): number | undefined {
    return this.records.get(key)?.expiresAt;
  }

  has(key: string): boolean {
    return this.records.has(key);
  }

  /** Records whose key starts with `prefix`, keyed by the rest of the key. */
  withPrefix(prefix: string): Map<string, StateRecord> {
    const found = new Map<string, StateRecord>();
    for (const [key, record] of this.records)
      if (key.startsWith(prefix)) found.set(key.slice(prefix.length), record);
    return found;
  }

  /** Conditional write against the version this invocation read. */
  async save(key: string, data: unknown, expiresAt?: number): Promise<boolean> {
    const version = this.records.get(key)?.version ?? 0;
    const written = this.onPaper || (await this.store.put(this.binding, { key, version, data, expiresAt }));
    if (written) this.records.set(key, { key, version: version + 1, data, expiresAt });
    return written;
  }

  async delete(key: string): Promise<boolean> {
    const record = this.records.get(key);
    if (!record || record.deleted) return true;
    const removed = this.onPaper || (await this.store.remove(this.binding, key, record.version));
    if (removed) this.records.set(key, { key, version: record.version + 1, data: undefined, deleted: true });
    return removed;
  }

  /** Reads the binding's records again, after losing a race. */
  async reload(): Promise<void> {
    if (this.onPaper) return;
    this.records.clear();
    for (const record of await this.store.load(this.binding)) this.records.set(record.key, record);
  }

  async putAll(records: readonly RecordWrite[]): Promise<void> {
    if (records.length === 0) return;
    if (!this.onPaper) await this.store.putAll(this.binding, records);
    for (const record of records) this.records.set(record.key, { ...record, version: 1 });
  }

  async removeAll(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    if (!this.onPaper) await this.store.removeAll(this.binding, keys);
    for (const key of keys) this.records.delete(key);
  }
}
