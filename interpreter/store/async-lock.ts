/**
 * A lock for async code in one process: `acquire` resolves once every
 * earlier holder has released, in the order they asked.
 */
export class AsyncLock {
  private tail: Promise<void> = Promise.resolve();
  private releaseHolder: (() => void) | null = null;

  async acquire(): Promise<void> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => (release = resolve));
    await previous;
    this.releaseHolder = release;
  }

  release(): void {
    const release = this.releaseHolder;
    if (release === null) throw new Error("AsyncLock.release: the lock is not held");
    this.releaseHolder = null;
    release();
  }
}
