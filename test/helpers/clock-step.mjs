// Preloaded into seqpulse (NODE_OPTIONS=--import): its wall clock (Date.now, new Date()) steps by
// SEQPULSE_TEST_STEP_MS once the file SEQPULSE_TEST_STEP_FILE exists, as an NTP step or a VM
// resume does. Timers and performance.now() are untouched: they run on the monotonic clock.
import { existsSync } from 'node:fs';

const by = Number(process.env.SEQPULSE_TEST_STEP_MS ?? 0);
const file = process.env.SEQPULSE_TEST_STEP_FILE;
const wall = Date.now.bind(Date);
let stepped = false;
const offset = () => {
  if (!stepped && file && existsSync(file)) stepped = true;
  return stepped ? by : 0;
};
const RealDate = Date;
class SteppedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(wall() + offset());
    else super(...args);
  }
  static now() {
    return wall() + offset();
  }
}
globalThis.Date = SteppedDate;
