import type { NodeBeat } from "../store/store.js";
import type { Logger } from "./logger.js";

/**
 * What the cluster says of this node, as heard at each heartbeat: draining (claim nothing, finish
 * what runs; past the drain's deadline, give the rest back), blocked (its join token was revoked),
 * or forgotten (its record was removed). Any of them stops claiming.
 */
export type ClusterHold = "draining" | "token_revoked" | "forgotten";

export interface ClusterStateDeps {
  log: Logger;
  nodeId: string;
  /** the hold changed: claim again when it lifted, give back what is held ahead when it began */
  onChange: (hold: ClusterHold | null) => void;
  /** the drain's deadline passed with runs still in flight here */
  onDrainTimeout: () => void;
}

export class ClusterState {
  private current: ClusterHold | null = null;
  private timedOut = false;

  constructor(private readonly deps: ClusterStateDeps) {}

  get hold(): ClusterHold | null {
    return this.current;
  }

  heard(beat: NodeBeat | undefined): void {
    const hold: ClusterHold | null =
      beat === undefined
        ? "forgotten"
        : beat.blocked === "token_revoked"
          ? "token_revoked"
          : beat.state === "draining"
            ? "draining"
            : null;
    if (hold !== this.current) {
      this.current = hold;
      this.timedOut = false;
      this.announce(hold);
      this.deps.onChange(hold);
    }
    if (
      hold === "draining" &&
      beat?.drainDeadline != null &&
      beat.now >= beat.drainDeadline &&
      !this.timedOut
    ) {
      this.timedOut = true;
      this.deps.log.warn(
        { node: this.deps.nodeId },
        "drain timed out: the runs still in flight here go back to pending",
      );
      this.deps.onDrainTimeout();
    }
  }

  private announce(hold: ClusterHold | null): void {
    const { log, nodeId } = this.deps;
    if (hold === null) log.info({ node: nodeId }, "node claims work again");
    else if (hold === "draining")
      log.warn({ node: nodeId }, "node draining: it finishes its runs and claims nothing new");
    else if (hold === "token_revoked")
      log.error(
        { node: nodeId },
        "the join token of this node was revoked: it claims nothing; restart it with a new token (keel nodes token create)",
      );
    else
      log.error(
        { node: nodeId },
        "this node's record was removed (keel nodes forget): it claims nothing; restart it to join again",
      );
  }
}
