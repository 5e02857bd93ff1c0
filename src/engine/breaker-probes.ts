import type { Store } from "../store/store.js";
import type { ResolvedBreaker } from "./breaker-options.js";
import type { BreakerBoard } from "./breakers.js";
import type { Logger } from "./logger.js";

/**
 * Probes, for breakers that declare one: while a breaker is open (and not tripped by an
 * operator), its probe runs every `probeIntervalMs`; the first one to resolve half-opens the
 * breaker in the store, which wakes the runs it deferred. So recovery follows the dependency
 * within a probe interval, whatever the length of the outage.
 */
export class BreakerProbes {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<string>();
  private readonly controller = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly board: BreakerBoard,
    private readonly actor: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const breaker of this.board.known.values()) {
      if (!breaker.probe) continue;
      const timer = setInterval(() => void this.tick(breaker), breaker.probeIntervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.controller.abort();
  }

  private async tick(breaker: ResolvedBreaker): Promise<void> {
    const name = breaker.definition.name;
    const state = this.board.state(name);
    if (state?.state !== "open" || state.manual || this.running.has(name)) return;
    this.running.add(name);
    try {
      if (!(await this.answers(breaker))) return;
      const change = await this.store.signalBreaker(
        name,
        { kind: "probe_ok" },
        this.actor,
        Date.now(),
      );
      this.board.absorb(change.breaker, change);
    } catch (error) {
      this.log.warn({ err: error, breaker: name }, "could not record a probe's success");
    } finally {
      this.running.delete(name);
    }
  }

  /** true when the probe resolved within its timeout */
  private async answers(breaker: ResolvedBreaker): Promise<boolean> {
    // a timer of our own, not AbortSignal.timeout(): on Node 20 a timeout signal held only through
    // AbortSignal.any() can be garbage-collected before it fires, and a hung probe would then block
    // every later probe of the breaker
    const own = new AbortController();
    const timer = setTimeout(
      () => own.abort(new Error(`probe timed out after ${breaker.probeTimeoutMs} ms`)),
      breaker.probeTimeoutMs,
    );
    timer.unref();
    const onStop = (): void => own.abort(this.controller.signal.reason);
    if (this.controller.signal.aborted) onStop();
    else this.controller.signal.addEventListener("abort", onStop, { once: true });
    const signal = own.signal;
    let timedOut: (() => void) | undefined;
    const gaveUp = new Promise<false>((resolve) => {
      timedOut = () => resolve(false);
      signal.addEventListener("abort", timedOut, { once: true });
    });
    // settles either way, so a probe that fails after its timeout leaves no unhandled rejection
    const probe = Promise.resolve()
      .then(() => breaker.probe?.(signal))
      .then(
        () => true,
        (error: unknown) => {
          this.log.debug({ err: error, breaker: breaker.definition.name }, "probe failed");
          return false;
        },
      );
    try {
      return await Promise.race([probe, gaveUp]);
    } finally {
      clearTimeout(timer);
      this.controller.signal.removeEventListener("abort", onStop);
      if (timedOut) signal.removeEventListener("abort", timedOut);
    }
  }
}
