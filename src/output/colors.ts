/** Colour on or off: --no-color and NO_COLOR turn it off, FORCE_COLOR on; otherwise only on a terminal. */
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

export function colorsFor(stream: { isTTY?: boolean }, opts: { noColor?: boolean; env?: Record<string, string | undefined> } = {}): Colors {
  const env = opts.env ?? process.env;
  const enabled = opts.noColor ? false : env.NO_COLOR !== undefined && env.NO_COLOR !== '' ? false : env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' ? true : stream.isTTY === true;
  return pc.createColors(enabled);
}
