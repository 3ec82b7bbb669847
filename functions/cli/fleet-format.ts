/** The human form of `alb-warden status` for several bindings: one screen, what is off first. */
import {
  FLEET_STATES,
  type FleetEntry,
  type FleetState,
  type FleetStatus,
  offNotes,
} from '../use-cases/fleet.ts';
import type { Colors } from './main.ts';

const LABEL: Readonly<Record<FleetState, string>> = {
  failing: 'failing',
  suspended: 'suspended',
  paused: 'paused',
  drift: 'drift',
  repairing: 'repairing',
  unhealthy: 'unhealthy',
  'in-sync': 'in sync',
};

export function formatFleet(fleet: FleetStatus, options: { all: boolean; color: Colors }): string {
  const { color } = options;
  const paint = (state: FleetState, text: string) =>
    state === 'in-sync'
      ? color.ok(text)
      : ['failing', 'suspended', 'drift'].includes(state)
        ? color.bad(text)
        : color.warn(text);
  const counts = (entries: readonly FleetEntry[]) => {
    const parts = FLEET_STATES.map((state) => ({
      state,
      count: entries.filter((entry) => entry.state === state).length,
    }))
      .filter(({ state, count }) => count > 0 || state === 'in-sync')
      .reverse()
      .map(({ state, count }) => paint(state, `${count} ${LABEL[state]}`));
    return `${entries.length} binding${entries.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
  };
  const lines = [counts(fleet.bindings)];
  // A fleet in several accounts or regions: the counts of each, so a broken member stands out at once.
  const places = new Map<string, FleetEntry[]>();
  for (const entry of fleet.bindings) {
    const where = `${entry.account} ${entry.region}`;
    places.set(where, [...(places.get(where) ?? []), entry]);
  }
  const placeWidth = Math.max(...[...places.keys()].map((where) => where.length));
  if (places.size > 1)
    for (const where of [...places.keys()].sort())
      lines.push(`  ${where.padEnd(placeWidth)}  ${counts(places.get(where) ?? [])}`);
  // Worst first, then by name, so the same fleet always prints the same screen.
  const rank = (entry: FleetEntry) => FLEET_STATES.indexOf(entry.state);
  const shown = fleet.bindings
    .filter((entry) => options.all || entry.state !== 'in-sync')
    .sort((a, b) => rank(a) - rank(b) || a.binding.localeCompare(b.binding));
  if (shown.length === 0) return lines.join('\n');
  const nameWidth = Math.max(...shown.map((entry) => entry.binding.length));
  const stateWidth = Math.max(...shown.map((entry) => LABEL[entry.state].length));
  lines.push('');
  for (const entry of shown) {
    const where = places.size > 1 ? `${`${entry.account} ${entry.region}`.padEnd(placeWidth)}  ` : '';
    const notes = offNotes(entry);
    lines.push(
      `${paint(entry.state, LABEL[entry.state].padEnd(stateWidth))}  ${entry.binding.padEnd(nameWidth)}  ${where}${notes}`.trimEnd(),
    );
  }
  return lines.join('\n');
}
