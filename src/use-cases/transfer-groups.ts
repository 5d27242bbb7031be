import type { Db } from '../db/client.js';
import { isConnectionLoss } from '../db/errors.js';
import { retryContention } from '../db/retry.js';
import { createTransfer, writeTransferGroup, type GroupedOutcome, type GroupedTransfer, type WriteResult } from './ledger-write.js';

/*
 * Group commit for single transfers. Requests for one timebank queue while the previous group
 * is in the database, then go in together: one transaction, one account lock statement and one commit
 * (one WAL flush) for all of them, each decided and answered on its own. No request waits for
 * a timer: a group is whatever arrived while the last one was being written.
 *
 * If a group fails for any reason other than contention (which is retried as a whole), nothing
 * of it was committed, and each request is written again on its own, so that one request's
 * failure is never another's.
 */

type Waiting = GroupedTransfer & { resolve: (result: WriteResult) => void; reject: (error: unknown) => void };

export type GroupObserver = (size: number) => void;

export class TransferGroups {
  private readonly queues = new Map<string, Waiting[]>();
  /** Groups of each timebank in the database now. */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly options: { maxGroupSize: number; maxGroupsInFlight: number; observe?: GroupObserver },
  ) {}

  /** Queues one transfer request; resolves with its own result, or rejects with its own error. */
  submit(item: GroupedTransfer): Promise<WriteResult> {
    const timebankId = item.request.timebankId;
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(timebankId);
      if (!queue) this.queues.set(timebankId, (queue = []));
      queue.push({ ...item, resolve, reject });
      this.startGroups(timebankId);
    });
  }

  /**
   * Starts groups while there are waiting requests and room in flight. A few groups of one
   * timebank overlap: while one commits, the next claims its keys and locks its accounts,
   * instead of waiting for the first round trip to end.
   */
  private startGroups(timebankId: string): void {
    const queue = this.queues.get(timebankId);
    while (queue && queue.length > 0 && (this.inFlight.get(timebankId) ?? 0) < this.options.maxGroupsInFlight) {
      const group = queue.splice(0, this.options.maxGroupSize);
      this.inFlight.set(timebankId, (this.inFlight.get(timebankId) ?? 0) + 1);
      try {
        this.options.observe?.(group.length);
      } catch {
        // Counting groups must never stop them.
      }
      void this.write(timebankId, group).finally(() => {
        const left = (this.inFlight.get(timebankId) ?? 1) - 1;
        if (left === 0) this.inFlight.delete(timebankId);
        else this.inFlight.set(timebankId, left);
        if (queue.length === 0 && left === 0) this.queues.delete(timebankId);
        else this.startGroups(timebankId);
      });
    }
  }

  private async write(timebankId: string, group: Waiting[]): Promise<void> {
    let outcomes: GroupedOutcome[];
    try {
      const keysFirst = { wait: false };
      outcomes = await retryContention(() => this.db.transaction((tx) => writeTransferGroup(tx, timebankId, group, keysFirst)));
    } catch (error) {
      if (group.length > 1 && !isConnectionLoss(error)) {
        // Each on its own: whatever failed the group is then only its own request's failure.
        await Promise.all(group.map((item) => createTransfer(item.request, item.input).then(item.resolve, item.reject)));
      } else {
        // A request alone fails with its own error. A lost connection fails them all: each
        // answers 503, and its client retries with its key (which replays what committed).
        for (const item of group) item.reject(error);
      }
      return;
    }
    outcomes.forEach((outcome, index) => {
      const item = group[index]!;
      if ('result' in outcome) item.resolve(outcome.result);
      else item.reject(outcome.error);
    });
  }
}

