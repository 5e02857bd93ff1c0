// network_failure: a real HTTP dependency on 127.0.0.1 behind the TCP fault proxy (lib/
// fault-proxy.mjs), called by the middle step of a 3-step pipeline that `uses` a breaker with a
// probe. Full: the proxy blackholes every connection; partial: it resets half of the new ones.
import * as http from "node:http";
import { pipeline, step } from "../../dist/src/index.js";
import { now, removeDir, tempHome } from "../lib/common.mjs";
import { startFaultProxy } from "../lib/fault-proxy.mjs";
import {
  FAULT_MIN_MS,
  checkTrial,
  describeStore,
  drained,
  firstAfter,
  produce,
  readStore,
  startKeel,
  waitFor,
} from "./shared.mjs";

const BREAKER = "embedding-api";
/** a client's timeout for one call to the dependency (loopback answers in about a millisecond) */
const CALL_TIMEOUT_MS = 250;
const settings = {
  concurrency: 8,
  retry: { maxAttempts: 50, baseDelayMs: 10, maxDelayMs: 100 },
  breaker: { failureThreshold: 3, probeIntervalMs: 25, probeTimeoutMs: 100 },
};

export const settingsNote = `3 steps (prep -> embed -> save), embed GETs the dependency through the proxy, a new connection per call (client timeout ${CALL_TIMEOUT_MS} ms) and uses breaker ${BREAKER} (failureThreshold ${settings.breaker.failureThreshold}, probe GET /health every ${settings.breaker.probeIntervalMs} ms, probe timeout ${settings.breaker.probeTimeoutMs} ms, halfOpenRequests 3); concurrency ${settings.concurrency}; retry maxAttempts ${settings.retry.maxAttempts}, baseDelayMs ${settings.retry.baseDelayMs}, maxDelayMs ${settings.retry.maxDelayMs}; 20 runs before the fault, then 100 runs/s while it lasts`;

/**
 * One GET through the proxy on a connection of its own (no keep-alive pool: a pooled connection
 * that got through once would dodge a partial fault for good), failing after `ms` like a client
 * with a timeout. The deadline is a plain timer: on Node 20, AbortSignal.any() over an
 * AbortSignal.timeout() can lose the timeout to garbage collection (nodejs/node#57736), and a
 * blackholed call would then hang for good.
 */
function call(proxy, path, signal, ms) {
  return new Promise((resolve, reject) => {
    const req = http.get(proxy.url(path), { agent: false, signal }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("error", reject);
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(JSON.parse(body))
          : reject(new Error(`dependency answered ${res.statusCode}`)),
      );
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${ms} ms`)), ms);
    req.on("close", () => clearTimeout(timer));
    req.on("error", reject);
  });
}

function netPipeline(proxy) {
  const prep = step("prep", (_ctx, input) => ({ n: input.n }));
  const embed = step("embed", { after: [prep], uses: [BREAKER] }, async (ctx, deps) => {
    await call(proxy, `/embed/${ctx.runId}`, ctx.signal, CALL_TIMEOUT_MS);
    return { v: deps.prep.n * 2 };
  });
  const save = step("save", { after: [embed] }, (_ctx, deps) => ({ saved: deps.embed.v }));
  return pipeline("net", [prep, embed, save]);
}

/** one trial: `mode` and `failRatio` as the fault proxy takes them */
export async function trial({ mode, failRatio }) {
  const home = tempHome("recovery-net");
  const target = http.createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
  await new Promise((resolve) => target.listen(0, "127.0.0.1", resolve));
  const proxy = await startFaultProxy(target.address().port);
  const net = netPipeline(proxy);
  const { k, events } = startKeel({
    home,
    pipelines: [net],
    concurrency: settings.concurrency,
    retry: settings.retry,
    breakers: {
      [BREAKER]: {
        failureThreshold: settings.breaker.failureThreshold,
        probe: (signal) => call(proxy, "/health", signal, settings.breaker.probeTimeoutMs),
        probeIntervalMs: settings.breaker.probeIntervalMs,
        probeTimeoutMs: settings.breaker.probeTimeoutMs,
      },
    },
  });
  let db;
  let producer;
  try {
    await k.start();
    db = await readStore(home);
    const breakerState = db.prepare("SELECT state FROM breakers WHERE name = ?").pluck();
    const deferrals = db
      .prepare("SELECT count(*) FROM transitions WHERE reason = ?")
      .pluck()
      .bind(`breaker_open:${BREAKER}`);
    const before = await k.submitMany(
      net,
      Array.from({ length: 20 }, (_, n) => ({ n })),
    );
    await waitFor("5 runs succeeded before the fault", () =>
      events.succeeded.size >= 5 ? true : null,
    );

    await proxy.set(mode, { failRatio });
    const faultOn = now();
    producer = produce(k, net, (n) => ({ n: 1000 + n }), { perSecond: 100 });
    // until the breaker is open (at this moment: a partial fault opens and half-opens it by
    // turns) with runs deferred by it
    await waitFor(
      "the breaker open with runs deferred",
      () =>
        now() - faultOn >= FAULT_MIN_MS &&
        breakerState.get(BREAKER) === "open" &&
        deferrals.get() > 0
          ? true
          : null,
      { explain: () => describeStore(home) },
    );
    await proxy.set("pass");
    const cleared = now();
    const stopping = producer.stop();
    const backlog = before.length + producer.runs.length - events.succeeded.size;
    const firstEmbed = await waitFor(
      "an embed step succeeded after the clear",
      () => firstAfter(events, cleared, (e) => e.step === "embed" && e.status === "succeeded"),
      { explain: () => describeStore(home) },
    );
    await stopping;
    const runs = [...before, ...producer.runs];
    const last = await drained(events, runs, home);
    await checkTrial(k, home, runs, 3);
    return {
      first_step_ms: firstEmbed - cleared,
      drained_ms: last - cleared,
      runs: runs.length,
      backlog_at_clear: backlog,
      fault_ms: cleared - faultOn,
    };
  } finally {
    await producer?.stop();
    db?.close();
    await k.stop({ force: true });
    await proxy.close();
    await new Promise((resolve) => target.close(resolve));
    removeDir(home);
  }
}
