/**
 * An operator's dry-run (`alb-warden reconcile --dry-run`) must change nothing at all: not the load
 * balancer, and not the controller's own records either (a preview must not count as a sweep toward the
 * damping) nor page anyone. It reads the real state table and keeps its writes in memory; the alerts it
 * would send are collected for the operator to read.
 */
import { MemoryStateStore } from '../adapters/memory-state.ts';
import type { RenderedAlert } from '../domain/alerts.ts';
import type { StateRecord, StateStore } from '../ports.ts';
import type { Deps } from './context.ts';

class OverlayStateStore implements StateStore {
  private readonly base: StateStore;
  private readonly overlay = new MemoryStateStore();
  private readonly loaded = new Set<string>();

  constructor(base: StateStore) {
    this.base = base;
  }

  private async ensure(binding: string): Promise<void> {
    if (this.loaded.has(binding)) return;
    this.overlay.restore(binding, await this.base.load(binding));
    this.loaded.add(binding);
  }

  async load(binding: string) {
    await this.ensure(binding);
    return this.overlay.load(binding);
  }
  async put(binding: string, record: StateRecord) {
    await this.ensure(binding);
    return this.overlay.put(binding, record);
  }
  async remove(binding: string, key: string, version: number) {
    await this.ensure(binding);
    return this.overlay.remove(binding, key, version);
  }
  async putUnlessMarked(binding: string, record: Omit<StateRecord, 'version'> & { readonly marker: string }) {
    await this.ensure(binding);
    return this.overlay.putUnlessMarked(binding, record);
  }
  async putAll(binding: string, records: readonly Omit<StateRecord, 'version'>[]) {
    await this.ensure(binding);
    return this.overlay.putAll(binding, records);
  }
  async removeAll(binding: string, keys: readonly string[]) {
    await this.ensure(binding);
    return this.overlay.removeAll(binding, keys);
  }
}

export function previewDeps(deps: Deps): { deps: Deps; wouldAlert: RenderedAlert[] } {
  const wouldAlert: RenderedAlert[] = [];
  return {
    deps: {
      ...deps,
      config: { ...deps.config, mode: 'dry-run' },
      state: new OverlayStateStore(deps.state),
      alerts: {
        publish: async (_topic, alert) => {
          wouldAlert.push(alert);
        },
      },
    },
    wouldAlert,
  };
}
