/** Milliseconds in a minute: the domain keeps times as epoch milliseconds and settings in minutes. */
export const MINUTE = 60_000;
