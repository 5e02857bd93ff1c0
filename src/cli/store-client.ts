import { pino } from "pino";
import type { DiskThresholds } from "../engine/disk-usage.js";
import type { DoctorSettings } from "../ops/doctor/types.js";
import { openStore } from "../store/open-store.js";
import { sqlitePathFor } from "../store/home.js";
import { inspectStoreFile } from "../store/files.js";
import { keel, type Keel } from "../engine/keel.js";
import { parseInput, type Operation } from "../api/operation.js";
import { cliActor } from "./actor.js";
import { openSession, type GlobalOptions } from "./session.js";
import type { Client, RawInput } from "./client-interface.js";

/** A command on the store itself, in-process, when no node runs for the home (see client.ts). */
export class StoreClient implements Client {
  readonly via = "store";
  readonly api = null;
  readonly unanswered = null;
  /** keel.yaml's, for a look at the disk with no node to ask */
  diskThresholds: DiskThresholds | undefined;
  /** keel.yaml's `doctor:` limits */
  doctor: DoctorSettings | undefined;
  private opened: { keel: Keel; pipelines: boolean } | undefined;

  private constructor(
    private readonly open: ((pipelines: boolean) => Promise<Keel>) | null,
    private readonly home: string,
    private readonly release: () => Promise<void> = () => Promise.resolve(),
    fixed?: Keel,
  ) {
    if (fixed) this.opened = { keel: fixed, pipelines: false };
  }

  /**
   * Opened at the first call, and with the configured pipeline modules imported only for a call
   * that changes something (submit checks names, versions and input schemas): a read never runs
   * pipeline code, so a module that fails to import cannot break `jobs list` or `audit`.
   */
  static open(g: GlobalOptions, home: string): StoreClient {
    return new StoreClient(
      async (pipelines) => (await openSession({ ...g, home }, { pipelines })).keel,
      home,
    );
  }

  static readOnly(home: string): StoreClient {
    const file = sqlitePathFor({ home });
    const store =
      file === null || inspectStoreFile(file).kind === "ok"
        ? openStore({ home, readonly: true })
        : openStore({ memory: true });
    const instance = keel({ store, logger: pino({ level: "silent" }) });
    // close() stops the instance; the store handed to it is closed after
    return new StoreClient(null, home, () => store.close(), instance);
  }

  async call<P, Q, B, R>(op: Operation<P, Q, B, R>, input: RawInput = {}): Promise<R> {
    // over HTTP an undefined query value is simply not sent; in-process it must not be a key either
    const query = Object.fromEntries(
      Object.entries(input.query ?? {}).filter(([, value]) => value !== undefined),
    );
    const parsed = parseInput(op, { ...input, query });
    return op.run(
      {
        keel: await this.keelFor(op.method !== "GET"),
        home: this.home,
        actor: cliActor(),
        diskThresholds: this.diskThresholds,
        doctor: this.doctor,
        ...(input.traceparent === undefined ? {} : { traceparent: input.traceparent }),
      },
      parsed,
    );
  }

  private async keelFor(pipelines: boolean): Promise<Keel> {
    if (this.opened && (this.opened.pipelines || !pipelines || !this.open)) return this.opened.keel;
    const open = this.open as (pipelines: boolean) => Promise<Keel>;
    // a write after reads: the instance without pipelines makes way for one with them
    await this.opened?.keel.stop();
    this.opened = { keel: await open(pipelines), pipelines };
    return this.opened.keel;
  }

  async close(): Promise<void> {
    await this.opened?.keel.stop();
    this.opened = undefined;
    await this.release();
  }
}
