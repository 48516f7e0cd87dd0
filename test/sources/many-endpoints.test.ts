/** 200 endpoints in one tick: all sampled, with bounded concurrency (no socket exhaustion). */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { NonceCache, verifyRequest } from '../../src/signing/signature.js';
import { createDsMetricsSource } from '../../src/sources/ds-metrics.js';
import { MAX_IN_FLIGHT } from '../../src/sources/retrying.js';
import { TEST_SECRET } from '../helpers/test-app.js';

describe('many endpoints', () => {
  it('samples 200 endpoints in one tick, never more than MAX_IN_FLIGHT requests or sockets at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const sockets = new Set<Socket>();
    let peakSockets = 0;
    const nonces = new NonceCache();
    const server = createServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      const ok = verifyRequest({ secret: TEST_SECRET, method: 'GET', target: req.url!, headers: req.headers, rememberNonce: nonces.remember }).ok;
      // Each answer waits for the next event-loop turn, so requests overlap as they would over a network.
      setImmediate(() => {
        inFlight--;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ metrics: { instance: Number(new URL(req.url!, 'http://x').searchParams.get('i')) } }));
      });
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      peakSockets = Math.max(peakSockets, sockets.size);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const endpoints = Array.from({ length: 200 }, (_, i) => `${origin}/ds-metrics?i=${i}`);
    const source = createDsMetricsSource({ endpoints, secret: TEST_SECRET, timeoutMs: 5000, retries: 0, userAgent: 'seqpulse/test' });
    // 32 requests listening to one tick's signal are the design: Node must not warn about a leak on the user's terminal.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (let tick = 0; tick < 3; tick++) {
        const results = await source.collect({ phase: 'post', deploymentId: 'load', deadline: Date.now() + 10_000 });
        expect(results).toHaveLength(200);
        expect(results.every((r) => r.ok)).toBe(true);
        expect(results.map((r) => r.metrics!.instance)).toEqual(endpoints.map((_, i) => i));
      }
      expect(peak).toBeGreaterThan(1);
      expect(peak).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      expect(peakSockets).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      // Warnings are emitted on the next tick of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await source.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
