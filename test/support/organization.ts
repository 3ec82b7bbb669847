/** The hub and member of the many-account tests: the simulator's own account and region, and another. */
export const HUB = { account: '123456789012', region: 'ap-northeast-2' } as const;
export const MEMBER = { account: '210987654321', region: 'eu-west-1' } as const;
export const ORG = 'o-a1b2c3d4e5';
export const EXTERNAL_ID = 'alb-warden-hub-7f3a';
