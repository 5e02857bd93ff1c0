// The TCP fault proxy lives in bench/lib (plain JS, so the recovery benchmark can use it too);
// one implementation, re-exported here for the chaos tests.
export { startFaultProxy, type FaultMode, type FaultProxy } from "../../bench/lib/fault-proxy.mjs";
