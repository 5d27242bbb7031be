import { json, type Session } from '../api.js';
import { t } from '../i18n.js';
import { plural, timebankPath, type Listing, type Match } from './common.js';

/*
 * What a member says about a match of its own listing: contacted (shown on the match from then
 * on) or not suitable (after a confirmation, the match is never suggested again).
 */

export type MatchMark = 'contacted' | 'notSuitable';
/** A match as the API answers it: with the mark the member gave it, if any. */
export type MarkedMatch = Match & { mark?: 'contacted' | null };

/** The listing of the other kind a match proposes. */
export const candidateOf = (match: Match) => match.offerId ?? match.requestId ?? '';

type Props = {
  session: Session;
  listing: Listing;
  match: MarkedMatch;
  /** Runs the call (the page shows its failure in the API's words). */
  run: (action: () => Promise<void>) => Promise<void>;
  onMarked: (mark: MatchMark) => void;
};

export function MatchMarks({ session, listing, match, run, onMarked }: Props) {
  const mark = (value: MatchMark) =>
    run(async () => {
      if (value === 'notSuitable' && !window.confirm(t('needs.mark.confirmNotSuitable'))) return;
      await json(session.token, `${timebankPath(session)}/${plural(listing.kind)}/${listing.id}/matches/${candidateOf(match)}/mark`, { method: 'PUT', body: { mark: value } });
      onMarked(value);
    });
  return (
    <span class="actions" role="group" aria-label={t('needs.mark.group')}>
      {match.mark === 'contacted' ? (
        <span class="tag" data-testid="contacted">
          {t('needs.mark.contactedTag')}
        </span>
      ) : (
        <button type="button" class="secondary" onClick={() => void mark('contacted')}>
          {t('needs.mark.contacted')}
        </button>
      )}
      <button type="button" class="secondary" onClick={() => void mark('notSuitable')}>
        {t('needs.mark.notSuitable')}
      </button>
    </span>
  );
}
