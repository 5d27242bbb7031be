import { useState } from 'preact/hooks';
import { json, type Session } from '../api.js';
import { t } from '../i18n.js';
import { timebankPath, type Listing, type Person } from './common.js';

/*
 * Where a member's request stands (docs/needs.md): open, agreed with someone, then met, not met
 * or withdrawn. The buttons offer only the moves the API allows from the request's stage; met
 * is final, so it is confirmed first.
 */

export type Stage = 'open' | 'agreed' | 'met' | 'unmet' | 'withdrawn';
/** A request as the API answers it, with its need. */
export type RequestListing = Listing & { stage?: Stage | null; agreedWith?: string | null };

/** The request's stage in words, naming whom it was agreed with when the directory knows. */
export function stageLabel(request: RequestListing, people: Map<string, Person>): string {
  switch (request.stage ?? 'open') {
    case 'agreed': {
      const name = request.agreedWith ? people.get(request.agreedWith)?.displayName : undefined;
      return name ? t('needs.stage.agreed', { name }) : t('needs.stage.agreedSomeone');
    }
    case 'met':
      return t('needs.stage.met');
    case 'unmet':
      return t('needs.stage.unmet');
    case 'withdrawn':
      return t('needs.stage.withdrawn');
    default:
      return t('needs.stage.open');
  }
}

type Props = {
  session: Session;
  request: RequestListing;
  people: Map<string, Person>;
  /** Runs the call (the page shows its failure in the API's words). */
  run: (action: () => Promise<void>) => Promise<void>;
  onChanged: (changed: RequestListing) => void;
};

export function RequestStage({ session, request, people, run, onChanged }: Props) {
  const [choosing, setChoosing] = useState(false);
  const [helper, setHelper] = useState('');
  const stage = request.stage ?? 'open';
  const move = (body: { stage: Stage; agreedWith?: string }) =>
    run(async () => {
      if (body.stage === 'met' && !window.confirm(t('needs.action.confirmMet', { title: request.title }))) return;
      const changed = await json<RequestListing>(session.token, `${timebankPath(session)}/requests/${request.id}`, { method: 'PATCH', body });
      setChoosing(false);
      onChanged(changed);
    });
  const button = (label: string, body: { stage: Stage }) => (
    <button type="button" class="secondary" onClick={() => void move(body)}>
      {label}
    </button>
  );
  const others = [...people.values()].filter((person) => person.memberId !== session.memberId).sort((left, right) => left.displayName.localeCompare(right.displayName));
  const selectId = `helper-${request.id}`;
  if (choosing) {
    return (
      <form
        class="actions"
        onSubmit={(event) => {
          event.preventDefault();
          if (helper) void move({ stage: 'agreed', agreedWith: helper });
        }}
      >
        <label for={selectId} class="inline">
          {t('needs.action.who')}
        </label>
        <select id={selectId} required value={helper} onChange={(event) => setHelper(event.currentTarget.value)}>
          <option value="">{t('needs.action.choose')}</option>
          {others.map((person) => (
            <option key={person.memberId} value={person.memberId}>
              {person.displayName}
            </option>
          ))}
        </select>
        <button type="submit">{t('needs.action.save')}</button>
        <button type="button" class="secondary" onClick={() => setChoosing(false)}>
          {t('needs.action.cancel')}
        </button>
      </form>
    );
  }
  return (
    <span class="actions" role="group" aria-label={t('needs.action.group')}>
      {stage === 'open' && (
        <button type="button" class="secondary" onClick={() => setChoosing(true)}>
          {t('needs.action.agree')}
        </button>
      )}
      {(stage === 'open' || stage === 'agreed') && (
        <>
          {button(t('needs.action.met'), { stage: 'met' })}
          {button(t('needs.action.unmet'), { stage: 'unmet' })}
          {button(t('needs.action.withdraw'), { stage: 'withdrawn' })}
        </>
      )}
      {stage === 'agreed' && button(t('needs.action.release'), { stage: 'open' })}
      {(stage === 'unmet' || stage === 'withdrawn') && button(t('needs.action.reopen'), { stage: 'open' })}
    </span>
  );
}
