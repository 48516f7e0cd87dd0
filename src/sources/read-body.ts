/**
 * Reading a response body with a hard size cap: a misbehaving (or hostile) endpoint must not be
 * able to make seqpulse buffer an unbounded body in memory.
 */

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`body larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The part of a response body this module needs; undici's BodyReadable fits. */
export interface CappedBody extends AsyncIterable<unknown> {
  destroy(error?: Error): unknown;
}

/**
 * Collects `body` into one Buffer, or throws BodyTooLargeError as soon as more than `maxBytes`
 * arrived (or were announced by Content-Length). On overflow the stream is destroyed, which makes
 * the HTTP client drop the connection instead of draining the rest of it.
 */
export async function readBodyCapped(body: CappedBody, maxBytes: number, declaredLength?: string | string[]): Promise<Buffer> {
  const announced = Number(Array.isArray(declaredLength) ? declaredLength[0] : declaredLength);
  if (Number.isFinite(announced) && announced > maxBytes) {
    const error = new BodyTooLargeError(maxBytes);
    body.destroy(error);
    throw error;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > maxBytes) {
      const error = new BodyTooLargeError(maxBytes);
      body.destroy(error);
      throw error;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}
