/**
 * Reads that arrive together share one query. The hottest reads (balances, and the caller's
 * state that every authenticated request checks) cost more in round trips (a socket write, a
 * wake-up of the database process and a reply to parse, on both sides) than in reading their
 * rows. A read waits for nothing but the end of the current turn of the event loop: every
 * request whose bytes came in during that turn joins it, and the query starts after each of them
 * arrived, so a read still sees every write committed before its request was sent.
 */
export class TurnBatch<Key, Value> {
  private waiting: { key: Key; resolve: (value: Value | undefined) => void; reject: (error: unknown) => void }[] = [];

  constructor(
    /** Reads the keys in one query; the values by keyOf. */
    private readonly readMany: (keys: Key[]) => Promise<Map<string, Value>>,
    private readonly keyOf: (key: Key) => string,
    /** The most keys one query asks for: its arrays stay small. */
    private readonly maxKeys = 256,
  ) {}

  read(key: Key): Promise<Value | undefined> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ key, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (let start = 0; start < waiting.length; start += this.maxKeys) void this.readSome(waiting.slice(start, start + this.maxKeys));
  }

  private async readSome(waiting: TurnBatch<Key, Value>['waiting']): Promise<void> {
    try {
      const found = await this.readMany(waiting.map((read) => read.key));
      for (const read of waiting) read.resolve(found.get(this.keyOf(read.key)));
    } catch (error) {
      for (const read of waiting) read.reject(error);
    }
  }
}
