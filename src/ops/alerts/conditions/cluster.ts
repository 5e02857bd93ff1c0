import type { Condition } from "./condition.js";
import { quiet, seconds, worstOf } from "./condition.js";

/** Conditions on the nodes the store knows: none online, heartbeats late, capabilities unserved. */
export const noNodeOnline: Condition = async (f) => {
  const nodes = await f.once("nodes", () => f.store.listNodes());
  const online = nodes.filter(
    (n) => n.state === "active" && f.now - n.heartbeatAt <= f.nodeOfflineMs,
  );
  return {
    holds: online.length === 0,
    value: online.length,
    summary:
      online.length === 0
        ? `no node is active with a heartbeat in the last ${seconds(f.nodeOfflineMs)} s: nothing claims work; see \`keel status\``
        : `${online.length} node(s) online`,
  };
};

export const heartbeatLate: Condition = async (f, rule) => {
  const nodes = await f.once("nodes", () => f.store.listNodes());
  const live = nodes.filter((n) => n.state !== "offline");
  const worst = worstOf(live, (n) => f.now - n.heartbeatAt);
  if (!worst) return quiet("no node is registered", 0);
  const lateS = Math.max(0, seconds(f.now - worst.heartbeatAt));
  return {
    holds: lateS > rule.threshold,
    value: lateS,
    summary: `node ${worst.id} (${worst.host}, pid ${worst.pid}) last sent a heartbeat ${lateS} s ago (threshold ${rule.threshold} s)`,
    labels: { node: worst.id },
  };
};

export const capabilityUnserved: Condition = async (f) => {
  if (!f.capabilities)
    return quiet("inert: this keel does not yet record which capability runs wait for");
  const waiting = await f.capabilities.waitingByCapability();
  const nodes = await f.once("nodes", () => f.store.listNodes());
  const served = new Set(
    nodes
      .filter((n) => n.state === "active" && f.now - n.heartbeatAt <= f.nodeOfflineMs)
      .flatMap((n) => n.capabilities),
  );
  const unserved = [...waiting].filter(([cap, runs]) => runs > 0 && !served.has(cap));
  const worst = worstOf(unserved, ([, runs]) => runs);
  if (!worst) return quiet("every capability runs wait for has a live node", 0);
  return {
    holds: true,
    value: worst[1],
    summary: `${worst[1]} runs wait for capability ${worst[0]}, which no live node advertises`,
    labels: { capability: worst[0] },
  };
};
