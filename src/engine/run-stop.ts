/**
 * A run's stop switch (cancel, lost lease, node stopping): what its steps race and the signal they
 * see. Almost no run is ever stopped, and an AbortController with its listeners cost about a
 * twentieth of a no-op run's time on the node's thread, so the controller is made only when a
 * step reads its signal, and the promise the steps race only when the first step starts.
 */
export class RunStop {
  private controller: AbortController | undefined;
  private rejection: Promise<never> | undefined;
  private rejectRace: ((reason: unknown) => void) | undefined;
  private stopped = false;
  private why: unknown;

  get stopRequested(): boolean {
    return this.stopped;
  }

  /** why the run was stopped (the signal's reason) */
  get reason(): unknown {
    return this.why;
  }

  /** the run's AbortSignal: made on first read, already aborted if the run was stopped before */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  /** Rejects with the reason once the run is stopped: one promise shared by every step raced against it. */
  get whenStopped(): Promise<never> {
    if (!this.rejection) {
      if (this.stopped) this.rejection = Promise.reject(this.why);
      else this.rejection = new Promise<never>((_, reject) => (this.rejectRace = reject));
      // raced, never awaited alone: each race handles its rejection
      this.rejection.catch(() => {});
    }
    return this.rejection;
  }

  stop(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.why = reason;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }
}
