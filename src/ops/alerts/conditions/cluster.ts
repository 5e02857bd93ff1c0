import { describePlacement } from "../../../core/placement.js";
import { startServingArgs } from "../../capability-demand.js";
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
  if (!f.capabilities) return quiet("no node evaluates which capability runs wait for here");
  const { now, unserved } = await f.once("capability-demand", f.capabilities);
  const worst = worstOf(unserved, (w) => w.runs);
  if (!worst) return quiet("every placement due runs wait for has a live node", 0);
  const needs = describePlacement(worst.placement);
  return {
    holds: true,
    value: worst.runs,
    summary: `${worst.runs} run(s) wait for ${needs}, which no live node offers (the oldest due ${seconds(now - worst.oldestDueAt)} s ago): start one with \`keel ${startServingArgs(worst.placement)}\`, or cancel them`,
    labels: { capability: needs },
  };
};
