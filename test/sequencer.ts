/**
 * The order of test files when the last run's timings are missing (a fresh clone, as in CI). Vitest then runs
 * the largest files first, which leaves small but slow ones (the bench's worlds, processes it starts) for the
 * end, with one worker busy and the other idle. Here the suites whose files start processes, synthesize CDK
 * apps or run properties go first, the simulator's and the unit tests last, where their many short files fill
 * the gaps; within a suite, Vitest's own order. With timings, Vitest's order (the slowest first) is kept.
 */
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

const SUITES_FIRST = ['reliability', 'bench', 'infra', 'cli', 'demo', 'integration', 'sim', 'unit'];

export function suiteRank(moduleId: string): number {
  const suite = /\/test\/([^/]+)\//.exec(moduleId)?.[1] ?? '';
  const rank = SUITES_FIRST.indexOf(suite);
  return rank === -1 ? SUITES_FIRST.length : rank;
}

export default class SlowSuitesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const timed = files.every((spec) => this.ctx.cache.getTestSpecificationResult(spec) !== undefined);
    if (timed) return sorted;
    // Projects keep their order, as Vitest runs them; sort is stable, so within a suite Vitest's order stays.
    const project = new Map(sorted.map((spec, index) => [spec.project.name, index]));
    return sorted.sort(
      (a, b) =>
        (project.get(a.project.name) ?? 0) - (project.get(b.project.name) ?? 0) ||
        suiteRank(a.moduleId) - suiteRank(b.moduleId),
    );
  }
}
