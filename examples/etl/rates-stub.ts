import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A flaky exchange-rate service on 127.0.0.1: `GET /rates` answers EUR rates, except that every
 * `failEvery`-th request fails with a 503, and none answers while `down` is set. Run it alone
 * with `npx tsx examples/etl/rates-stub.ts` (port 7431, or $PORT).
 */
export interface RatesStub {
  url: string;
  requests: () => number;
  setDown: (down: boolean) => void;
  close: () => Promise<void>;
}

const rates: Record<string, number> = { EUR: 1, USD: 0.92, GBP: 1.17 };

export async function startRatesStub(
  options: { port?: number; failEvery?: number } = {},
): Promise<RatesStub> {
  let count = 0;
  let down = false;
  const server: Server = createServer((req, res) => {
    count += 1;
    const failing = down || (options.failEvery !== undefined && count % options.failEvery === 1);
    if (failing || !req.url?.startsWith("/rates")) {
      res.writeHead(failing ? 503 : 404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(rates));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    setDown: (value) => (down = value),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const stub = await startRatesStub({ port: Number(process.env.PORT ?? 7431), failEvery: 2 });
  process.stdout.write(`rates stub on ${stub.url}: every 2nd request fails with 503\n`);
}
