import { KeelErrorCode } from "./codes.js";
import { KeelError } from "./keel-error.js";

/** A node may not join: no join token where one is required, an unknown or revoked one, or more than it grants. */
export class JoinRefusedError extends KeelError {
  constructor(message: string) {
    super(KeelErrorCode.joinRefused, message);
  }
}

/** `nodes forget` of a node that is not offline: its record is still how the cluster sees it. */
export class NodeOnlineError extends KeelError {
  constructor(nodeId: string, state: string) {
    super(
      KeelErrorCode.nodeOnline,
      `node "${nodeId}" is ${state}, not offline: stop it first (keel nodes drain ${nodeId}, then stop its process); a node silent for cluster.offline_after_ms is marked offline by the others`,
      { details: { node: nodeId, state } },
    );
  }
}
