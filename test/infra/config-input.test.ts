/**
 * The deployment's configuration type (infra/config-input.ts) is written out for the package's declarations;
 * the compiler holds it to the functions' schema both ways, and the schema accepts what the type describes.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseConfig, type WardenConfigInput } from '../../functions/config.ts';
import type { AlbWardenConfig } from '../../infra/config-input.ts';

type Writable<T> = T extends readonly (infer Item)[]
  ? Writable<Item>[]
  : T extends object
    ? { -readonly [Key in keyof T]: Writable<T[Key]> }
    : T;

/** Every field's dotted path, so a field one side lacks shows (assignability alone lets optional ones go). */
type Paths<T, Prefix extends string = ''> = T extends readonly (infer Item)[]
  ? Paths<Item, Prefix>
  : T extends object
    ? {
        [Key in keyof T & string]-?: `${Prefix}${Key}` | Paths<NonNullable<T[Key]>, `${Prefix}${Key}.`>;
      }[keyof T & string]
    : never;

/** The schema's input less what the deployment provides. */
type SchemaInput = Omit<WardenConfigInput, 'controllerRoleArns' | 'alerts'> & {
  alerts?: Omit<WardenConfigInput['alerts'], 'topicArn' | 'stateTable'>;
};

describe('AlbWardenConfig', () => {
  it('allows exactly what the configuration schema takes, less the deploy-time fields', () => {
    expectTypeOf<Writable<AlbWardenConfig>>().toExtend<SchemaInput>();
    expectTypeOf<SchemaInput>().toExtend<Writable<AlbWardenConfig>>();
    expectTypeOf<Paths<AlbWardenConfig>>().toEqualTypeOf<Paths<SchemaInput>>();
  });

  it('rejects the deploy-time fields', () => {
    expectTypeOf<AlbWardenConfig>().not.toHaveProperty('controllerRoleArns');
    expectTypeOf<NonNullable<AlbWardenConfig['alerts']>>().not.toHaveProperty('topicArn');
    expectTypeOf<NonNullable<AlbWardenConfig['alerts']>>().not.toHaveProperty('stateTable');
  });

  it('describes a document the schema accepts once the deployment adds its fields', () => {
    const arn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
    const config: AlbWardenConfig = {
      mode: 'dry-run',
      alerts: { unhealthyAfterSweeps: 3, flapping: { transitions: 6 } },
      bindings: [
        {
          name: 'web',
          loadBalancerArn: `${arn}:loadbalancer/app/web/50dc6c495c0c9188`,
          targetGroupArn: `${arn}:targetgroup/web/73e2d6bc24d8a067`,
          instanceSelector: { tags: { Role: 'web' } },
          http: { redirect: { protocol: 'HTTPS', statusCode: 'HTTP_302' } },
          healthCheck: { path: '/health', matcher: '200' },
        },
      ],
    };

    const parsed = parseConfig({
      ...config,
      alerts: { ...config.alerts, topicArn: 'arn:aws:sns:eu-west-1:123456789012:t', stateTable: 'table' },
    });

    expect(parsed.bindings[0]?.http.redirect.statusCode).toBe('HTTP_302');
    expect(parsed.alerts.flapping.transitions).toBe(6);
  });
});
