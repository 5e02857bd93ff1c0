// Types of fault-proxy.mjs (the TCP fault proxy shared by test/chaos and bench/recovery.mjs).

/** pass, delay, blackhole (hung dependency), reset (TCP RST), refuse (nothing listening) */
export type FaultMode = "pass" | "delay" | "blackhole" | "reset" | "refuse";

export interface FaultProxy {
  /** the loopback port the proxy listens on */
  port: number;
  url(path?: string): string;
  /** `failRatio` (0..1, default 1) makes the fault partial: that share of new connections */
  set(mode: FaultMode, options?: { delayMs?: number; failRatio?: number }): Promise<void>;
  readonly mode: FaultMode;
  close(): Promise<void>;
}

export function startFaultProxy(targetPort: number, targetHost?: string): Promise<FaultProxy>;
