import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { buildCycleEdges, pairKey, type CycleListing } from '../../src/domain/cycle-edges.js';
import { decideNeed, requestStages, requestsMetBy, stageOf, stagesMetByTransfer, statusOfStage, type Need, type NeedChange, type RequestStage } from '../../src/domain/needs.js';

const OWNER = 'owner-id';
const HELPER = 'helper-id';
const OTHER = 'other-id';
const now = new Date('2026-03-10T12:00:00.000Z');
const earlier = new Date('2026-03-02T08:00:00.000Z');

const need = (stage: RequestStage, extra: Partial<Need> = {}): Need => ({
  memberId: OWNER,
  stage,
  status: statusOfStage(stage),
  agreedWith: stage === 'agreed' ? HELPER : null,
  firstResponseAt: null,
  metAt: null,
  ...extra,
});

/** The rejection's code and extensions, or the need decided. */
function outcome(current: Need, change: NeedChange): Need | { code: string; field?: unknown; stage?: unknown } {
  try {
    return decideNeed(current, change, now);
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    const field = error.extensions.field ?? (error.extensions.errors as Array<{ field: string }> | undefined)?.[0]?.field;
    return { code: error.code, field, ...(error.extensions.stage ? { stage: error.extensions.stage } : {}) };
  }
}

describe('the stages of a request', () => {
  it('move open -> agreed -> met, recording who, the first response and when it was met', () => {
    const agreed = decideNeed(need('open'), { stage: 'agreed', agreedWith: HELPER }, now);
    expect(agreed).toEqual({ memberId: OWNER, stage: 'agreed', status: 'open', agreedWith: HELPER, firstResponseAt: now, metAt: null });
    const later = new Date(now.getTime() + 86_400_000);
    const met = decideNeed(agreed, { stage: 'met' }, later);
    expect(met).toEqual({ memberId: OWNER, stage: 'met', status: 'closed', agreedWith: HELPER, firstResponseAt: now, metAt: later });
  });

  it('keep a first response already recorded, and take who met it when given', () => {
    const met = decideNeed(need('open', { firstResponseAt: earlier }), { stage: 'met', agreedWith: OTHER }, now);
    expect(met).toMatchObject({ stage: 'met', agreedWith: OTHER, firstResponseAt: earlier, metAt: now });
  });

  it('close on unmet and withdrawn, and open again from them, forgetting the agreement', () => {
    for (const stage of ['unmet', 'withdrawn'] as const) {
      const closed = decideNeed(need('agreed'), { stage }, now);
      expect(closed).toMatchObject({ stage, status: 'closed', agreedWith: HELPER, metAt: null });
      expect(decideNeed(closed, { stage: 'open' }, now)).toMatchObject({ stage: 'open', status: 'open', agreedWith: null, metAt: null });
    }
    expect(decideNeed(need('agreed'), { stage: 'open' }, now)).toMatchObject({ stage: 'open', agreedWith: null });
  });

  it('refuse every move the life cycle does not have, saying where the request is', () => {
    const allowed: Record<RequestStage, RequestStage[]> = {
      open: ['open', 'agreed', 'met', 'unmet', 'withdrawn'],
      agreed: ['open', 'agreed', 'met', 'unmet', 'withdrawn'],
      met: ['met'],
      unmet: ['open', 'unmet'],
      withdrawn: ['open', 'withdrawn'],
    };
    for (const from of requestStages) {
      for (const to of requestStages) {
        const change: NeedChange = to === 'agreed' ? { stage: to, agreedWith: OTHER } : { stage: to };
        const decided = outcome(need(from), change);
        if (allowed[from].includes(to)) expect(decided, `${from} -> ${to}`).toMatchObject({ stage: to });
        else expect(decided, `${from} -> ${to}`).toEqual({ code: 'invalid_stage_transition', field: 'stage', stage: from });
      }
    }
  });

  it('change nothing when asked for the stage it has', () => {
    const met = need('met', { metAt: earlier, firstResponseAt: earlier });
    expect(decideNeed(met, { stage: 'met' }, now)).toBe(met);
    const agreed = need('agreed');
    expect(decideNeed(agreed, { stage: 'agreed' }, now)).toBe(agreed);
    expect(decideNeed(agreed, { stage: 'agreed', agreedWith: OTHER }, now)).toMatchObject({ agreedWith: OTHER });
  });

  it('read status as a stage: closed withdraws, open reopens, and a met request stays met', () => {
    expect(decideNeed(need('open'), { status: 'closed' }, now)).toMatchObject({ stage: 'withdrawn', status: 'closed' });
    expect(decideNeed(need('agreed'), { status: 'closed' }, now)).toMatchObject({ stage: 'withdrawn' });
    expect(decideNeed(need('unmet'), { status: 'closed' }, now)).toMatchObject({ stage: 'unmet' });
    expect(decideNeed(need('withdrawn'), { status: 'open' }, now)).toMatchObject({ stage: 'open', status: 'open' });
    expect(decideNeed(need('agreed'), { status: 'open' }, now)).toMatchObject({ stage: 'agreed' });
    expect(outcome(need('met'), { status: 'open' })).toEqual({ code: 'invalid_stage_transition', field: 'stage', stage: 'met' });
  });

  it('refuse contradicting fields, a missing or misplaced agreedWith, and the member itself', () => {
    expect(outcome(need('open'), { stage: 'met', status: 'closed' })).toEqual({ code: 'validation_failed', field: 'status' });
    expect(outcome(need('open'), { stage: 'agreed' })).toEqual({ code: 'validation_failed', field: 'agreedWith' });
    expect(outcome(need('open'), { stage: 'unmet', agreedWith: HELPER })).toEqual({ code: 'validation_failed', field: 'agreedWith' });
    expect(outcome(need('open'), { agreedWith: HELPER })).toEqual({ code: 'validation_failed', field: 'agreedWith' });
    expect(outcome(need('open'), { stage: 'agreed', agreedWith: OWNER })).toEqual({ code: 'invalid_agreed_with', field: 'agreedWith' });
  });

  it('read a request stored without a stage as the migration did: open if open, else withdrawn', () => {
    expect([stageOf(null, 'open'), stageOf(null, 'closed'), stageOf('met', 'closed')]).toEqual(['open', 'withdrawn', 'met']);
  });

  it('let a transfer meet only open and agreed requests', () => {
    expect([...stagesMetByTransfer].sort()).toEqual(['agreed', 'open']);
  });
});

describe('the requests a ledger write meets', () => {
  const posted = { status: 'posted', postedAt: now, reversesTransferId: null, payerAccountId: 'payer-1', payeeAccountId: 'payee-1' };

  it('are those its posted transfers name, each once at its first posting', () => {
    const met = requestsMetBy([
      { ...posted, requestId: 'r1' },
      { ...posted, requestId: 'r1', postedAt: earlier, payeeAccountId: 'payee-2' },
      { ...posted, requestId: 'r2' },
      { ...posted, requestId: null },
    ]);
    expect(met).toEqual([
      { requestId: 'r1', metAt: earlier, payerAccountId: 'payer-1', payeeAccountId: 'payee-2' },
      { requestId: 'r2', metAt: now, payerAccountId: 'payer-1', payeeAccountId: 'payee-1' },
    ]);
  });

  it('leave out pending, rejected and expired transfers, and reversals', () => {
    expect(
      requestsMetBy([
        { ...posted, requestId: 'r1', status: 'pending', postedAt: null },
        { ...posted, requestId: 'r2', status: 'rejected', postedAt: null },
        { ...posted, requestId: 'r3', status: 'expired', postedAt: null },
        { ...posted, requestId: 'r4', reversesTransferId: 't0' },
      ]),
    ).toEqual([]);
  });
});

describe('the cycle graph with marks', () => {
  const listing = (id: string, memberId: string): CycleListing => ({
    id, memberId, categoryId: 'garden', categoryParentId: null, skillText: 'garden help', location: null, maxDistanceKm: null, remote: false, availabilityHours: null,
  });
  const options = { offersPerRequest: 3, walkLimit: 50, defaultMaxDistanceKm: 25 };

  it('leaves out a request and offer marked notSuitable, and only that pair', () => {
    const requests = [listing('r1', 'ann'), listing('r2', 'dee')];
    const offers = [listing('o1', 'ben'), listing('o2', 'cy')];
    const pairs = (unsuitable?: Set<string>) => buildCycleEdges(requests, offers, { ...options, ...(unsuitable ? { unsuitable } : {}) }).map((edge) => `${edge.requestId}-${edge.offerId}`).sort();
    expect(pairs()).toEqual(['r1-o1', 'r1-o2', 'r2-o1', 'r2-o2']);
    expect(pairs(new Set([pairKey('r1', 'o2')]))).toEqual(['r1-o1', 'r2-o1', 'r2-o2']);
  });
});
