// One compiled entry (under build/src/) and everything it imports, bundled by @vercel/ncc into a
// fresh `out` directory, with the bundled packages' licences in out/licenses.txt. Shared by the
// CLI's bundle (build-cli.js) and the Action's (build-action.js).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `external`: packages left to node_modules at run time. */
export function bundle(entry, out, external = []) {
  rmSync(out, { recursive: true, force: true });
  const externals = external.flatMap((name) => ['--external', name]);
  execFileSync(process.execPath, [require.resolve('@vercel/ncc/dist/ncc/cli.js'), 'build', entry, '-o', out, ...externals, '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' });
}
