// npm run test:package — the README's Quick start, as a new user follows it: the package as
// `npm pack` makes it (what a release attaches) installed into an empty project, then
// `npx seqpulse --version`, `init` and `doctor` there, doctor against the package's own example
// app (examples/node) with a real signed endpoint. Exits 1 on any step that fails. The install
// reuses the native SQLite addon this checkout built (see the install step).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const dir = mkdtempSync(join(tmpdir(), 'seqpulse-package-'));
const app = join(dir, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
let server;

function step(what, fn) {
  const started = Date.now();
  try {
    const out = fn();
    console.log(`ok   ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return out;
  } catch (err) {
    console.log(`FAIL ${what}: ${err instanceof Error ? err.message : String(err)}`);
    if (err?.stdout) console.log(String(err.stdout));
    if (err?.stderr) console.log(String(err.stderr));
    throw new Error(`package check failed at: ${what}`);
  }
}

/** `npx --no -- seqpulse ...` in the project: the installed package, never one fetched from the registry. */
const seqpulse = (args, env = {}) => execFileSync(npx, ['--no', '--', 'seqpulse', ...args], { cwd: app, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

try {
  const tarball = step('npm pack', () => join(dir, execFileSync(npm, ['pack', '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop()));
  mkdirSync(app);
  step('npm init in an empty project', () => execFileSync(npm, ['init', '-y'], { cwd: app, stdio: 'ignore' }));
  // Install scripts skipped: the only one is better-sqlite3's (prebuild-install, or node-gyp compiling
  // it for over a minute with no prebuilt binary reachable), and this checkout built that very
  // version for this very Node a moment ago (npm ci). Its addon is copied in instead; everything
  // else installs as a user's would. The next step proves the installed copy loads it (doctor never
  // opens a store that does not exist yet).
  step(`npm install ${tarball.split('/').pop()} (install scripts skipped)`, () => execFileSync(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] }));
  step("better-sqlite3's addon, as this checkout built it", () => {
    const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    const installed = join(app, 'node_modules/better-sqlite3/package.json');
    if (JSON.parse(readFileSync(installed, 'utf8')).version !== JSON.parse(readFileSync('node_modules/better-sqlite3/package.json', 'utf8')).version) {
      throw new Error('the package installs another better-sqlite3 version than this checkout has: run the check without copying (drop --ignore-scripts)');
    }
    mkdirSync(join(app, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
    copyFileSync(addon, join(app, addon));
  });
  step("the installed store engine opens a database (better-sqlite3, as seqpulse's store loads it)", () => {
    execFileSync(process.execPath, ['-e', "require('better-sqlite3')(':memory:').prepare('select 1').get()"], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  });
  step('npx seqpulse --version', () => {
    const out = seqpulse(['--version']).trim();
    if (out !== version) throw new Error(`printed ${JSON.stringify(out)}, expected ${version}`);
  });
  step("the installed README's links to docs/ and examples/ resolve in the installed copy", () => {
    const installed = join(app, 'node_modules/seqpulse');
    const links = [...readFileSync(join(installed, 'README.md'), 'utf8').matchAll(/\]\(((?:docs|examples)\/[^)#\s]*)/g)].map((m) => m[1]);
    const broken = [...new Set(links)].filter((link) => !existsSync(join(installed, link)));
    if (links.length === 0) throw new Error('no link to docs/ or examples/ found in the README');
    if (broken.length > 0) throw new Error(`not in the package: ${broken.join(', ')} (package.json "files")`);
  });
  // The README's own words for running the installed copy, run as written: a form that lets npx
  // take seqpulse's flags (`npx --no seqpulse --version` prints npm's version) fails here.
  const readmeForm = /`(npx [^`]*seqpulse) \.\.\.`/.exec(readFileSync('README.md', 'utf8'))?.[1];
  step(`${readmeForm ?? "the README's npx form"} --version, as the README writes it`, () => {
    if (!readmeForm) throw new Error('README.md has no `npx ... seqpulse ...` form to check');
    const [command, ...args] = readmeForm.split(' ');
    const out = execFileSync(command === 'npx' ? npx : command, [...args, '--version'], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    if (out !== version) throw new Error(`printed ${JSON.stringify(out)}, expected ${version}`);
  });
  step('npx seqpulse init', () => {
    seqpulse(['init']);
    if (!existsSync(join(app, 'seqpulse.yml'))) throw new Error('no seqpulse.yml written');
  });
  const secret = 'package-check-secret';
  const url = await new Promise((resolve, reject) => {
    server = spawn(process.execPath, [join(app, 'node_modules/seqpulse/examples/node/ds-metrics-server.mjs')], { cwd: app, env: { ...process.env, SEQPULSE_HMAC_SECRET: secret, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    server.stdout.once('data', (d) => resolve(String(d).trim()));
    server.once('exit', (code) => reject(new Error(`the example app exited with ${code}`)));
    server.once('error', reject);
  });
  step(`npx seqpulse doctor --endpoint ${url}`, () => {
    const out = seqpulse(['doctor', '--endpoint', url], { SEQPULSE_HMAC_SECRET: secret });
    // execFileSync throws on a non-zero exit: reaching here means doctor passed; the sample line says the signed request was answered.
    if (!/answered in [\d.]+m?s with \d+ metric/.test(out)) throw new Error(`doctor did not sample the endpoint:\n${out}`);
  });
  console.log(`The packed package installs and runs in an empty project (seqpulse ${version}).`);
} catch (err) {
  console.log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
} finally {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
}
