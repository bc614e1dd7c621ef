/** A set of listeners called in registration order; a throwing listener does not stop the others. */
export interface Subscription {
  unsubscribe(): void;
}

export class ListenerSet<T> {
  private readonly listeners = new Set<(event: T) => void>();

  constructor(private readonly onError: (err: unknown) => void) {}

  add(listener: (event: T) => void): Subscription {
    this.listeners.add(listener);
    return { unsubscribe: () => void this.listeners.delete(listener) };
  }

  emit(event: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
