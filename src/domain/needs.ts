import { invalidField, Rejection } from './errors.js';

/*
 * The life of a request (DESIGN.md section 8): open -> agreed -> met | unmet | withdrawn.
 * A request's `status` follows its stage: open and agreed requests are open (searched and
 * matched); met, unmet and withdrawn ones are closed. Pure: the use cases load the request and
 * store what these functions decide.
 */

export const requestStages = ['open', 'agreed', 'met', 'unmet', 'withdrawn'] as const;
export type RequestStage = (typeof requestStages)[number];

export const matchMarks = ['contacted', 'notSuitable'] as const;
export type MatchMark = (typeof matchMarks)[number];

/**
 * Where each stage may go. An agreement may fall through (agreed -> open) or move to someone
 * else (agreed -> agreed); an unmet or withdrawn request may be opened again; a met one is final,
 * since a transfer may stand behind it.
 */
const transitions: Record<RequestStage, readonly RequestStage[]> = {
  open: ['agreed', 'met', 'unmet', 'withdrawn'],
  agreed: ['open', 'agreed', 'met', 'unmet', 'withdrawn'],
  met: [],
  unmet: ['open'],
  withdrawn: ['open'],
};

/** The stages a transfer naming the request moves to met: the ones met may be reached from. */
export const stagesMetByTransfer: readonly RequestStage[] = requestStages.filter((stage) => transitions[stage].includes('met'));

export const statusOfStage = (stage: RequestStage): 'open' | 'closed' => (stage === 'open' || stage === 'agreed' ? 'open' : 'closed');

/**
 * A request's stage, for a row written without one (before needs were tracked): open if it is
 * open, else withdrawn, as the migration that added stages read such requests.
 */
export const stageOf = (stage: RequestStage | null, status: 'open' | 'closed'): RequestStage => stage ?? (status === 'open' ? 'open' : 'withdrawn');

/** What a request's need is made of, as stored. */
export type Need = {
  memberId: string;
  stage: RequestStage;
  status: 'open' | 'closed';
  agreedWith: string | null;
  firstResponseAt: Date | null;
  metAt: Date | null;
};

/** A change asked for: a stage, or (as for offers) a status, and who the request was agreed with. */
export type NeedChange = { stage?: RequestStage | undefined; status?: 'open' | 'closed' | undefined; agreedWith?: string | undefined };

/**
 * The stage a change asks for. `status: closed` withdraws an open or agreed request (a closed
 * one stays as it is); `status: open` opens an unmet or withdrawn request again (an open or
 * agreed one stays as it is).
 */
function targetStage(current: RequestStage, change: NeedChange): RequestStage {
  if (change.stage !== undefined) return change.stage;
  if (change.status === 'closed') return statusOfStage(current) === 'closed' ? current : 'withdrawn';
  if (change.status === 'open') return statusOfStage(current) === 'open' ? current : 'open';
  return current;
}

/**
 * The need after a change, or a refusal: 400 when the fields contradict each other, 409
 * `invalid_stage_transition` when the request cannot move there from its stage, 422
 * `invalid_agreed_with` when it would be agreed with its own member. Agreeing, or meeting it,
 * is a response too: `firstResponseAt` is set then if it was not already.
 */
export function decideNeed(current: Need, change: NeedChange, now: Date): Need {
  if (change.stage !== undefined && change.status !== undefined) {
    throw invalidField('body', 'status', 'give stage or status, not both: a request\'s status follows its stage');
  }
  const target = targetStage(current.stage, change);
  if (change.agreedWith !== undefined && target !== 'agreed' && target !== 'met') {
    throw invalidField('body', 'agreedWith', 'goes only with stage agreed or met');
  }
  if (change.agreedWith === current.memberId) {
    throw new Rejection('invalid_agreed_with', 'A request is agreed with another member than its own.', { field: 'agreedWith' });
  }
  const unchanged = target === current.stage && (target !== 'agreed' || change.agreedWith === undefined || change.agreedWith === current.agreedWith);
  if (unchanged) return current;
  if (!transitions[current.stage].includes(target)) {
    throw new Rejection('invalid_stage_transition', `The request is ${current.stage} and cannot become ${target}.`, { field: 'stage', stage: current.stage });
  }
  if (target === 'agreed' && change.agreedWith === undefined) {
    throw invalidField('body', 'agreedWith', 'is required with stage agreed');
  }
  const responded = current.firstResponseAt ?? now;
  switch (target) {
    case 'agreed':
      return { ...current, stage: target, status: 'open', agreedWith: change.agreedWith!, firstResponseAt: responded, metAt: null };
    case 'met':
      return { ...current, stage: target, status: 'closed', agreedWith: change.agreedWith ?? current.agreedWith, firstResponseAt: responded, metAt: now };
    case 'open':
      return { ...current, stage: target, status: 'open', agreedWith: null, metAt: null };
    default:
      return { ...current, stage: target, status: 'closed', metAt: null };
  }
}

/** What a posted transfer tells about the requests it names. */
export type NamingTransfer = { requestId: string | null; status: string; postedAt: Date | null; reversesTransferId: string | null; payerAccountId: string; payeeAccountId: string };

/** A request met by a transfer; persist meets it only when the payer is the request's own member (the one helped pays). */
export type MetRequest = { requestId: string; metAt: Date; payerAccountId: string; payeeAccountId: string };

/**
 * The requests a write's transfers meet: each posted transfer that names a request (a reversal
 * names none, and never meets or un-meets one), at the first of its postings. A pending
 * transfer meets its request when it posts, not before.
 */
export function requestsMetBy(transfers: NamingTransfer[]): MetRequest[] {
  const met = new Map<string, MetRequest>();
  for (const transfer of transfers) {
    if (transfer.status !== 'posted' || !transfer.requestId || !transfer.postedAt || transfer.reversesTransferId) continue;
    const earlier = met.get(transfer.requestId);
    if (!earlier || transfer.postedAt < earlier.metAt) {
      met.set(transfer.requestId, { requestId: transfer.requestId, metAt: transfer.postedAt, payerAccountId: transfer.payerAccountId, payeeAccountId: transfer.payeeAccountId });
    }
  }
  return [...met.values()];
}
