import type { EventLog } from '../events.ts';
import type { Clock, SimSettings } from '../settings.ts';

/** What every service sees of the simulator: its account, region, clock, settings and event log. */
export interface Environment {
  readonly account: string;
  readonly region: string;
  readonly clock: Clock;
  readonly events: EventLog;
  settings(): SimSettings;
}

/** One API call as a service handler sees it. */
export interface Call {
  readonly now: number;
  readonly requestId: string;
}
