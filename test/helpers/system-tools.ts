/**
 * Tests that need a program from the system, not from npm (a real Prometheus, a Pushgateway, Go,
 * Chromium), follow one rule:
 * - the tool is there: the tests run;
 * - it is missing and CI is set: the tests run and fail at once, saying what to install (CI must
 *   exercise every real part; `.ci/run` installs them with `npm run test:deps`);
 * - it is missing elsewhere: exactly those tests are skipped, each saying why in its name, and the
 *   run ends with one line naming what was skipped and how to install it (skipped-tools-reporter.ts).
 * No test ever waits out a timeout because a tool is missing.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeAll, describe } from 'vitest';

export type Tool = 'prometheus' | 'pushgateway' | 'go' | 'chromium';

interface ToolSpec {
  /** Environment variable that gives the program's path instead of PATH. */
  env: string;
  /** Names looked up on PATH, in order. */
  names: string[];
  /** Debian package that installs it (scripts/test-deps.sh installs the same list). */
  debian: string;
}

export const TOOLS: Record<Tool, ToolSpec> = {
  prometheus: { env: 'PROMETHEUS_BIN', names: ['prometheus'], debian: 'prometheus' },
  pushgateway: { env: 'PUSHGATEWAY_PATH', names: ['prometheus-pushgateway', 'pushgateway'], debian: 'prometheus-pushgateway' },
  go: { env: 'GO_BIN', names: ['go'], debian: 'golang-go' },
  chromium: { env: 'CHROMIUM_PATH', names: ['chromium', 'chromium-browser'], debian: 'chromium' },
};

/** The marker a skipped test's name carries; the reporter counts tests by it. */
export const SKIP_MARKER = '[skipped: needs ';

/** The tool's executable: its environment variable if set (and only then), else the first on PATH. */
export function findTool(tool: Tool): string | undefined {
  const spec = TOOLS[tool];
  const given = process.env[spec.env];
  const candidates = given ? [given] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((dir) => spec.names.map((name) => join(dir, name)));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function missingMessage(tool: Tool): string {
  const spec = TOOLS[tool];
  return `${tool} is not installed (no ${spec.names[0]} on PATH${process.env[spec.env] ? ` and ${spec.env}=${process.env[spec.env]} is not executable` : `, ${spec.env} not set`}): run \`npm run test:deps\` (Debian package ${spec.debian})`;
}

/**
 * describe() for tests that need `tool`; the body gets the tool's path. See the rule above.
 */
export function describeWithTool(tool: Tool, name: string, body: (path: string) => void): void {
  const path = findTool(tool);
  if (path) {
    describe(name, () => body(path));
  } else if (process.env.CI) {
    describe(name, () => {
      beforeAll(() => {
        throw new Error(`${missingMessage(tool)}; under CI these tests never skip`);
      });
      body('');
    });
  } else {
    describe.skip(`${name} ${SKIP_MARKER}${tool}, not installed: npm run test:deps]`, () => body(''));
  }
}
