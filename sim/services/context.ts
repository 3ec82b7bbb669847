import type { Caller, EventLog } from '../events.ts';
import type { SimSettings } from '../settings.ts';

/** What every service sees of the simulator: its account, region, settings and event log. */
export interface Environment {
  readonly account: string;
  readonly region: string;
  readonly events: EventLog;
  settings(): SimSettings;
}

/** One API call as a service handler sees it: when it happens on the simulator's clock. */
export interface Call {
  readonly now: number;
  /** Who signed the request; AWS calls a service makes inside the simulator have none. */
  readonly caller?: Caller;
}
