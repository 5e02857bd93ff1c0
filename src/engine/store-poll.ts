/**
 * Something a node re-reads from the store every `pollMs`, and at once on demand: one read at a
 * time, unref'd, and the last value kept while the store cannot be read (the next poll tries
 * again). The emergency stop and the breaker states are read this way.
 */
export class StorePoll {
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(
    private readonly read: () => Promise<void>,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      await this.read();
    } catch (error) {
      this.onError(error);
    } finally {
      this.reading = false;
    }
  }
}
