/**
 * One line at the end of a run that skipped tests for a missing system tool (see
 * test/helpers/system-tools.ts): which tools, how many tests, and the command that installs them.
 */
import type { Reporter, TestModule } from 'vitest/node';
import { SKIP_MARKER } from '../helpers/system-tools.js';

export default class SkippedToolsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const byTool = new Map<string, number>();
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const at = test.fullName.indexOf(SKIP_MARKER);
        if (at < 0) continue;
        const tool = test.fullName.slice(at + SKIP_MARKER.length).split(',')[0]!;
        byTool.set(tool, (byTool.get(tool) ?? 0) + 1);
      }
    }
    if (byTool.size === 0) return;
    const total = [...byTool.values()].reduce((a, b) => a + b, 0);
    const list = [...byTool].map(([tool, n]) => `${tool} (${n})`).join(', ');
    process.stdout.write(`\n Skipped ${total} test${total === 1 ? '' : 's'} that need a tool this machine lacks: ${list}. Install with: npm run test:deps (under CI they never skip).\n\n`);
  }
}
