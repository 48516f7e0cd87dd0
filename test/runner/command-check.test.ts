/**
 * The deploy command's check before PRE, on real files: a script whose `#!` line names an
 * interpreter that is missing is refused (exit 2, naming the interpreter), as the system would
 * refuse to start it after PRE; scripts and programs that can run pass.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { checkDeployCommand, type CommandCheck } from '../../src/runner/command-check.js';
import { runDeploy } from '../../src/runner/deploy.js';
import type { Interrupts } from '../../src/runner/signals.js';

const interrupts: Interrupts = { signal: new AbortController().signal, received: () => null, onSignal: () => () => undefined, dispose: () => undefined };

function script(dir: string, name: string, text: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** The check's error, or undefined when the command passes. */
async function refusal(argv: string[], opts: Partial<CommandCheck> = {}): Promise<UsageError | undefined> {
  try {
    await checkDeployCommand(argv, { shell: false, shellHint: 'add --shell', ...opts });
    return undefined;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return err;
  }
}

describe('a script whose interpreter is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqpulse-check-'));
  const emptyPath = join(dir, 'empty-bin');
  mkdirSync(emptyPath);

  it('an interpreter path that does not exist: exit 2 naming it, and the system refuses to start the script too', async () => {
    script(dir, 'missing.sh', '#!/usr/bin/nonexistent-interp\necho hi\n');
    const err = await refusal(['./missing.sh'], { cwd: dir });
    expect(err?.exitCode).toBe(ExitCode.Usage);
    expect(err?.message).toBe('deploy command "./missing.sh" needs the interpreter "/usr/bin/nonexistent-interp" (its #! line), which does not exist; nothing was sampled or deployed');
    expect(err?.hint).toMatch(/change the first line of \.\/missing\.sh to an interpreter that exists/);
    const ran = await runDeploy([join(dir, 'missing.sh')], { stdout: 'stderr', interrupts });
    expect(ran.exitCode).not.toBe(0);
  });

  it('an interpreter that is not executable', async () => {
    script(dir, 'plain-file', 'not a program\n', 0o644);
    script(dir, 'uses-plain.sh', `#!${join(dir, 'plain-file')}\n`);
    expect((await refusal(['./uses-plain.sh'], { cwd: dir }))?.message).toContain(`needs the interpreter "${join(dir, 'plain-file')}" (its #! line), which is not executable`);
  });

  it('/usr/bin/env with a program not on PATH, found on PATH, or after env options', async () => {
    script(dir, 'env-bash.sh', '#!/usr/bin/env bash\necho hi\n');
    const err = await refusal(['./env-bash.sh'], { cwd: dir, path: emptyPath });
    expect(err?.message).toBe('deploy command "./env-bash.sh" needs "bash" (its #! line runs /usr/bin/env bash), which was not found on PATH; nothing was sampled or deployed');
    expect(err?.hint).toMatch(/Install bash or put it on PATH/);
    const withSh = join(dir, 'with-sh');
    mkdirSync(withSh);
    script(withSh, 'bash', '#!/bin/sh\n');
    expect(await refusal(['./env-bash.sh'], { cwd: dir, path: withSh })).toBeUndefined();
    script(dir, 'env-split.sh', '#!/usr/bin/env -S LANG=C bash -e\n');
    expect((await refusal(['./env-split.sh'], { cwd: dir, path: emptyPath }))?.message).toContain('needs "bash"');
    expect(await refusal(['./env-split.sh'], { cwd: dir, path: withSh })).toBeUndefined();
  });

  it('a #! line saved with Windows line endings (CRLF) is named as such, and the system refuses it too', async () => {
    script(dir, 'crlf.sh', '#!/bin/sh\r\necho hi\r\n');
    const err = await refusal(['./crlf.sh'], { cwd: dir });
    expect(err?.message).toBe('deploy command "./crlf.sh" has Windows line endings (CRLF): its #! line "#!/bin/sh\\r" ends in a carriage return, which the system takes as part of the interpreter\'s name; nothing was sampled or deployed');
    expect(err?.hint).toMatch(/Unix line endings .*dos2unix \.\/crlf\.sh/);
    expect((await runDeploy([join(dir, 'crlf.sh')], { stdout: 'stderr', interrupts })).exitCode).not.toBe(0);
  });

  it('a script found on PATH is checked the same way, and a missing interpreter is never taken for shell syntax', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    script(bin, 'deploy-tool', '#!/opt/nowhere/python9\n');
    const err = await refusal(['deploy-tool', 'apply'], { path: bin });
    expect(err?.message).toContain('deploy command "deploy-tool" needs the interpreter "/opt/nowhere/python9"');
    expect(err?.hint).not.toMatch(/spelling/);
    const piped = await refusal(['./missing.sh', '|', 'tee', 'log'], { cwd: dir });
    expect(piped?.hint).not.toMatch(/--shell/);
  });

  it('scripts and programs that can run pass, and run', async () => {
    script(dir, 'good.sh', '#!/bin/sh\nexit 0\n');
    script(dir, 'spaced.sh', '#!  /bin/sh -e\nexit 0\n');
    for (const command of ['./good.sh', './spaced.sh']) {
      expect(await refusal([command], { cwd: dir })).toBeUndefined();
      expect((await runDeploy([join(dir, command)], { stdout: 'stderr', interrupts })).exitCode).toBe(0);
    }
    // A binary has no #! line.
    expect(await refusal([process.execPath, '-e', '0'])).toBeUndefined();
  });
});
