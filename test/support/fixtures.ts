/** The EventBridge event fixtures (test/fixtures/events, real-shaped events; see its README). */
import { readdirSync, readFileSync } from 'node:fs';

export const FIXTURES_DIR = new URL('../fixtures/events/', import.meta.url).pathname;

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** A fresh copy of a fixture, safe to edit. */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${FIXTURES_DIR}${name}`, 'utf8'));
}
