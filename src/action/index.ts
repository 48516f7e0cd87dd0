/** Entry point of the bundled Action (dist/index.js): the runner runs this file with `node`. */
import { run } from './main.js';

const code = await run();
// Ended here, once stdout is flushed, rather than when the event loop drains: whatever a remote part
// left open (a socket to a server that stopped answering) can never hold the job.
process.stdout.write('', () => process.exit(code));
