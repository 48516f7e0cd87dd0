/** Entry point of the bundled Action (dist/index.js): the runner runs this file with `node`. */
import { run } from './main.js';

await run();
