/**
 * `seqpulse demo`: the product on this machine with no setup. Starts the example app in-process on a
 * free loopback port, then runs two real cycles against it (signed requests, a real deploy child
 * process, the store): a healthy deploy, then one that regresses. Under a minute in all.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { runCycle } from '../../app/cycle.js';
import { resolveConfig, type ResolvedConfig } from '../../config/resolve.js';
import type { VerdictReport } from '../../core/types.js';
import { startDemoApp } from '../../demo/app.js';
import { createAppIO, createConsole } from '../context.js';
import type { OutputFlags } from '../options.js';
import { printReport } from '../print.js';
import { forTerminal } from '../../output/terminal.js';

const DEPLOYS = [
  { version: 'v2-healthy', expect: 'ok', title: 'Deploy 1: v2 with a harmless change' },
  { version: 'v2-regressed', expect: 'rollback_recommended', title: 'Deploy 2: v2 with a bug (errors and latency up)' },
] as const;

export async function demoCommand(flags: OutputFlags & { store?: string }): Promise<number> {
  const console = createConsole(flags);
  // The store path is the user's text: shown like every other line that reaches the terminal.
  // With JSON logs, a log line like every other on stderr (event `demo`), without its blank lines and colours.
  const say = (text: string) => {
    if (console.json || console.quiet) return;
    if (console.logFormat === 'json') {
      const line = stripVTControlCharacters(text).trim();
      if (line) console.logger.log('info', 'demo', line);
    } else process.stderr.write(forTerminal(`${text}\n`, console.err.isColorSupported));
  };
  const secret = randomBytes(24).toString('hex');
  // The flags are checked before anything starts, as every other command does (an invalid --log-format is exit 2).
  demoConfig('http://127.0.0.1/ds-metrics', secret, flags.store ?? '.seqpulse/seqpulse.db', flags.logFormat);
  const tempDir = flags.store ? undefined : await mkdtemp(join(tmpdir(), 'seqpulse-demo-'));
  const app = await startDemoApp({ secret, seed: 42 });
  const reports: VerdictReport[] = [];
  // What the text output says on stderr, in the document: whether the ids can be looked up afterwards.
  const store = flags.store
    ? { path: flags.store, kept: true, note: `seqpulse history --store ${flags.store}` }
    : { path: null, kept: false, note: 'a temporary store, deleted when the demo ended: these ids cannot be looked up. To keep them: seqpulse demo --store demo.db' };
  // --json: one document on stdout however the demo ends, an interrupted one included.
  const printJson = () => console.json && console.stdout(JSON.stringify({ runs: reports, store }, null, 2));
  try {
    say(console.err.bold('seqpulse demo'));
    say(`Example app listening on ${app.url} (signed /ds-metrics, running v1).`);
    say(
      tempDir
        ? `Runs are kept in a temporary store, deleted when the demo ends (to keep them: seqpulse demo --store demo.db).`
        : `Runs are kept in ${flags.store}.`,
    );
    for (const deploy of DEPLOYS) {
      app.setVersion('v1');
      say(`\n${console.err.bold(deploy.title)}`);
      const config = demoConfig(app.url, secret, flags.store ?? join(tempDir!, 'seqpulse.db'), flags.logFormat);
      const { io, dispose } = await createAppIO(config, console);
      try {
        // A real child process does the "deploy": it tells the example app to switch versions.
        const deployUrl = `${new URL(app.url).origin}/_demo/deploy?version=${deploy.version}`;
        const argv = [process.execPath, '-e', `fetch(${JSON.stringify(deployUrl)}, { method: 'POST' }).then((r) => console.log('deployed ${deploy.version}: HTTP ' + r.status))`];
        const report = await runCycle(config, argv, io);
        reports.push(report);
        if (!console.json) printReport(console, report);
        if (report.status === 'interrupted') {
          printJson();
          return report.exit_code;
        }
      } finally {
        await dispose();
      }
    }
  } finally {
    await app.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
  printJson();
  const asExpected = reports.every((r, i) => r.verdict === DEPLOYS[i]!.expect);
  say(
    asExpected
      ? `\nThe healthy deploy passed and the bad one was caught. In your pipeline: seqpulse run -- <your deploy command> (see README).`
      : `\nUnexpected verdicts: ${reports.map((r) => r.verdict).join(', ')}. Please report this.`,
  );
  say(
    flags.store
      ? `The runs are in ${flags.store}: seqpulse history --store ${flags.store}, seqpulse report <id> --store ${flags.store}.`
      : 'The temporary store is gone with its runs: the ids above cannot be looked up. To keep them: seqpulse demo --store demo.db, then seqpulse history --store demo.db.',
  );
  return asExpected ? 0 : 1;
}

/** The demo's settings go through the same resolver as everyone's: only the short timings differ. */
function demoConfig(url: string, secret: string, store: string, logFormat: string | undefined): ResolvedConfig {
  return resolveConfig({
    env: {},
    defaultProject: 'demo-shop',
    flags: { endpoint: [url], secret: [secret], env: 'demo', preSamples: '12', interval: '400ms', window: '8s', timeout: '1s', store, logFormat },
  });
}
