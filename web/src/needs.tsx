import { useEffect, useState } from 'preact/hooks';
import { allPages, onFailure, type Session } from './api.js';
import { date, number, percent } from './format.js';
import { t } from './i18n.js';

/*
 * The dashboard's needs: how many of the period's requests were met and how fast, the needs left
 * unmet by category, the offers nobody used, and the queue of stalled requests (open past the
 * timebank's stalledAfterDays with nobody responding) that a coordinator may follow up.
 */

type Ratio = { value: number | null; numerator: number; denominator: number };
export type NeedsMet = {
  requests: number;
  stalledAfterDays: number;
  metShare: Ratio;
  medianDaysToMet: number | null;
  medianDaysToFirstResponse: number | null;
  unmetByCategory: Array<{ categoryId: string; name: string; requests: number; markedUnmet: number; stillOpen: number }>;
  idleOffersByCategory: Array<{ categoryId: string; name: string; offers: number }>;
};
type StalledRequest = { id: string; memberId: string; title: string; createdAt: string };

/** Days to one decimal: a median of whole days may fall half-way. */
const days = (value: number) => Math.round(value * 10) / 10;

export function NeedsSection({ session, needsMet, names, onExpired }: { session: Session; needsMet: NeedsMet; names: Map<string, string>; onExpired: () => void }) {
  return (
    <section aria-labelledby="needs-heading" data-testid="needs-met">
      <h2 id="needs-heading">{t('needs.dashboard.title')}</h2>
      {needsMet.requests === 0 ? (
        <p>{t('needs.dashboard.none')}</p>
      ) : (
        <p>
          <span data-figure="metShare">{t('needs.dashboard.summary', { met: number(needsMet.metShare.numerator), requests: number(needsMet.requests), share: percent(needsMet.metShare.value) })}</span>
          {needsMet.medianDaysToMet !== null && <> {t('needs.dashboard.daysToMet', { days: days(needsMet.medianDaysToMet) })}</>}
          {needsMet.medianDaysToFirstResponse !== null && <> {t('needs.dashboard.daysToResponse', { days: days(needsMet.medianDaysToFirstResponse) })}</>}
        </p>
      )}
      <div class="columns">
        <UnmetNeeds needsMet={needsMet} />
        <IdleOffers needsMet={needsMet} />
      </div>
      <StalledQueue session={session} stalledAfterDays={needsMet.stalledAfterDays} names={names} onExpired={onExpired} />
    </section>
  );
}

function UnmetNeeds({ needsMet }: { needsMet: NeedsMet }) {
  return (
    <div data-testid="unmet-needs">
      <h3>{t('needs.unmet.title')}</h3>
      <p class="hint">{t('needs.unmet.explanation', { days: needsMet.stalledAfterDays })}</p>
      {needsMet.unmetByCategory.length === 0 ? (
        <p>{t('needs.unmet.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('needs.unmet.category')}</th>
              <th scope="col" class="number">{t('needs.unmet.markedUnmet')}</th>
              <th scope="col" class="number">{t('needs.unmet.stillOpen')}</th>
              <th scope="col" class="number">{t('needs.unmet.total')}</th>
            </tr>
          </thead>
          <tbody>
            {needsMet.unmetByCategory.map((row) => (
              <tr key={row.categoryId}>
                <th scope="row">{row.name}</th>
                <td class="number">{number(row.markedUnmet)}</td>
                <td class="number">{number(row.stillOpen)}</td>
                <td class="number">{number(row.requests)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function IdleOffers({ needsMet }: { needsMet: NeedsMet }) {
  return (
    <div data-testid="idle-offers">
      <h3>{t('needs.idle.title')}</h3>
      <p class="hint">{t('needs.idle.explanation')}</p>
      {needsMet.idleOffersByCategory.length === 0 ? (
        <p>{t('needs.idle.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('needs.unmet.category')}</th>
              <th scope="col" class="number">{t('needs.idle.offers')}</th>
            </tr>
          </thead>
          <tbody>
            {needsMet.idleOffersByCategory.map((row) => (
              <tr key={row.categoryId}>
                <th scope="row">{row.name}</th>
                <td class="number">{number(row.offers)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** At most this many stalled requests are listed; the rest are counted. */
const SHOWN = 50;

function StalledQueue({ session, stalledAfterDays, names, onExpired }: { session: Session; stalledAfterDays: number; names: Map<string, string>; onExpired: () => void }) {
  const [stalled, setStalled] = useState<StalledRequest[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    allPages<StalledRequest>(session.token, `/v1/timebanks/${session.timebankId}/requests?stalled=true`, 4)
      .then(setStalled)
      .catch(onFailure(onExpired, setError));
  }, []);
  return (
    <div data-testid="stalled-requests">
      <h3>{t('needs.stalled.title')}</h3>
      <p class="hint">{t('needs.stalled.explanation', { days: stalledAfterDays })}</p>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : stalled === null ? (
        <p aria-busy="true">{t('needs.loading')}</p>
      ) : stalled.length === 0 ? (
        <p>{t('needs.stalled.none')}</p>
      ) : (
        <ul class="names">
          {stalled.slice(0, SHOWN).map((request) => (
            <li key={request.id} data-testid="stalled-request">
              {t('needs.stalled.item', { title: request.title, name: names.get(request.memberId) ?? t('needs.stalled.someone'), date: date(request.createdAt) })}
            </li>
          ))}
          {stalled.length > SHOWN && <li>{t('needs.stalled.more', { count: stalled.length - SHOWN })}</li>}
        </ul>
      )}
    </div>
  );
}
