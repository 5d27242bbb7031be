import { useEffect, useMemo, useState } from 'preact/hooks';
import { allPages, downloadCsv, json, onFailure, type Session } from './api.js';
import { BarChart, NetworkPicture, type NetworkEdge } from './charts.js';
import { duration, number, percent } from './format.js';
import { formats, t } from './i18n.js';
import type { MessageId } from './messages/index.js';
import { NeedsSection, type NeedsMet } from './needs.js';
import { RecentChanges } from './recent-changes.js';
import { RecentEvents } from './recent-events.js';
import { rich } from './rich.js';

type Ratio = { value: number | null; numerator: number; denominator: number };
type Named = { memberId: string; displayName: string };
type Report = Record<string, unknown> & {
  activeMembers: number;
  registeredMembers: number;
  exchanges: number;
  minutes: number;
  balanceIndex: { bins: Array<{ from: number; to: number; members: number }>; balancedShare: Ratio };
  cycles: Record<string, number>;
  cyclesTruncated?: boolean;
  dormancy: { never: number; within30Days: number; days31To90: number; over90Days: number };
  membersToContact?: { receiverOnly: Named[]; giverOnly: Named[]; newlyDormant: Named[]; neverExchanged: Named[] };
  needsMet?: NeedsMet;
};
type Activity = { items: Array<{ periodStart: string; exchanges: number; minutes: number; activeMembers: number; newMembers: number }> };
type Exchange = { giverMemberId: string; receiverMemberId: string; minutes: number };
type Cycle = { members: string[]; legs: Array<{ giverMemberId: string; receiverMemberId: string }>; score: number };

/** The headline ratios, each with the one line a coordinator needs. */
const headline: Array<[key: string, label: MessageId, explanation: MessageId]> = [
  ['activationRate', 'dashboard.figure.activationRate', 'dashboard.figure.activationRate.about'],
  ['twoWayShare', 'dashboard.figure.twoWayShare', 'dashboard.figure.twoWayShare.about'],
  ['giverOnlyShare', 'dashboard.figure.giverOnlyShare', 'dashboard.figure.giverOnlyShare.about'],
  ['receiverOnlyShare', 'dashboard.figure.receiverOnlyShare', 'dashboard.figure.receiverOnlyShare.about'],
  ['edgeReciprocity', 'dashboard.figure.edgeReciprocity', 'dashboard.figure.edgeReciprocity.about'],
  ['reciprocatedMinutesShare', 'dashboard.figure.reciprocatedMinutesShare', 'dashboard.figure.reciprocatedMinutesShare.about'],
  ['edgesOnCycleShare', 'dashboard.figure.edgesOnCycleShare', 'dashboard.figure.edgesOnCycleShare.about'],
  ['indirectReciprocityShare', 'dashboard.figure.indirectReciprocityShare', 'dashboard.figure.indirectReciprocityShare.about'],
  ['largestCirculationShare', 'dashboard.figure.largestCirculationShare', 'dashboard.figure.largestCirculationShare.about'],
  ['top20Share', 'dashboard.figure.top20Share', 'dashboard.figure.top20Share.about'],
  ['giniTurnover', 'dashboard.figure.giniTurnover', 'dashboard.figure.giniTurnover.about'],
];

const windowOf = (months: number) => {
  const to = new Date();
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - months + 1, 1));
  return `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
};

/** A period's month, named in UTC: a period starts at midnight UTC on the 1st, and no time zone should move it to the month before. */
const monthName = (periodStart: string, month: 'short' | 'long') => formats.date(periodStart, { month, year: month === 'short' ? '2-digit' : 'numeric', timeZone: 'UTC' });

/** The loops of help the report counted, by length, in words. */
function loopsOf(report: Report): string {
  const list = Object.entries(report.cycles)
    .map(([length, count]) => t('dashboard.loop', { count, length }))
    .join(', ');
  if (!list) return t('dashboard.loopsNone');
  return t(report.cyclesTruncated ? 'dashboard.loopsTruncated' : 'dashboard.loops', { list });
}

export function Dashboard({ session, onExpired }: { session: Session; onExpired: () => void }) {
  const base = `/v1/timebanks/${session.timebankId}`;
  const [months, setMonths] = useState(12);
  const [report, setReport] = useState<Report | null>(null);
  const [activity, setActivity] = useState<Activity | null>(null);
  const [edges, setEdges] = useState<NetworkEdge[]>([]);
  const [cycles, setCycles] = useState<Cycle[]>([]);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [accountNames, setAccountNames] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const window = windowOf(months);
  const fail = onFailure(onExpired, setError);
  useEffect(() => {
    setError(null);
    setReport(null);
    Promise.all([
      json<Report>(session.token, `${base}/reports/mutuality?${window}`),
      json<Activity>(session.token, `${base}/reports/activity?interval=month&${window}`),
      allPages<Exchange>(session.token, `${base}/exports/exchanges?${window}`, 20),
      json<{ items: Cycle[] }>(session.token, `${base}/matches/cycles?maxLength=3`),
      allPages<{ memberId: string; displayName: string; accountId: string }>(session.token, `${base}/directory`),
    ])
      .then(([found, periods, exchanges, suggested, people]) => {
        setReport(found);
        setActivity(periods);
        setEdges(exchanges.map((exchange) => ({ giver: exchange.giverMemberId, receiver: exchange.receiverMemberId, minutes: exchange.minutes })));
        setCycles(suggested.items);
        setNames(new Map(people.map((person) => [person.memberId, person.displayName])));
        setAccountNames(new Map(people.map((person) => [person.accountId, person.displayName])));
      })
      .catch(fail);
  }, [months]);
  const download = (path: string, filename: string) => downloadCsv(session.token, path, filename).catch(fail);
  const monthly = useMemo(
    () =>
      (activity?.items ?? []).map((period) => {
        return {
          label: monthName(period.periodStart, 'short'),
          value: Math.round(period.minutes / 60),
          title: t('dashboard.monthlyBar', { month: monthName(period.periodStart, 'long'), time: duration(period.minutes), exchanges: period.exchanges, active: number(period.activeMembers), joined: number(period.newMembers) }),
        };
      }),
    [activity],
  );

  return (
    <main class="wide">
      <div class="title-row">
        <h1>{t('app.page.dashboard')}</h1>
        <label>
          {t('dashboard.period')}{' '}
          <select value={months} onChange={(event) => setMonths(Number(event.currentTarget.value))}>
            {[3, 6, 12].map((count) => (
              <option key={count} value={count}>
                {t('dashboard.lastMonths', { count })}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!report ? (
        <p aria-busy="true">{t('dashboard.loading')}</p>
      ) : (
        <>
          <section aria-labelledby="figures-heading">
            <h2 id="figures-heading">{t('dashboard.glance')}</h2>
            <p>
              {rich(
                'dashboard.summary',
                {
                  exchanges: <strong data-testid="exchanges">{report.exchanges}</strong>,
                  time: <strong>{duration(report.minutes)}</strong>,
                  active: <strong data-testid="active-members">{report.activeMembers}</strong>,
                  registered: <strong>{number(report.registeredMembers)}</strong>,
                },
                { count: report.exchanges },
              )}
            </p>
            <ul class="figures">
              {headline.map(([key, label, explanation]) => {
                const figure = report[key] as Ratio;
                return (
                  <li key={key} class="figure" tabIndex={0} title={`${t(explanation)}: ${figure.numerator} / ${figure.denominator}`} data-figure={key} data-value={figure.value === null ? '' : String(figure.value)}>
                    <span class="value">{percent(figure.value)}</span>
                    <span class="label">{t(label)}</span>
                    <span class="fraction">
                      {figure.numerator} / {figure.denominator}
                    </span>
                  </li>
                );
              })}
            </ul>
            <p>{loopsOf(report)}</p>
          </section>
          <section aria-labelledby="activity-heading">
            <h2 id="activity-heading">{t('dashboard.monthly')}</h2>
            <BarChart bars={monthly} title={t('dashboard.monthly')} />
          </section>
          <section aria-labelledby="balance-heading">
            <h2 id="balance-heading">{t('dashboard.giveAndTake')}</h2>
            <p>{t('dashboard.balanceIndex', { share: percent(report.balanceIndex.balancedShare.value) })}</p>
            <BarChart
              bars={report.balanceIndex.bins.map((bin) => {
                const range = { from: number(bin.from), to: number(bin.to) };
                return { label: t('dashboard.bin', range), value: bin.members, title: t('dashboard.binTitle', { count: bin.members, ...range }) };
              })}
              title={t('dashboard.byBalanceIndex')}
              height={160}
            />
          </section>
          <section aria-labelledby="network-heading">
            <h2 id="network-heading">{t('dashboard.network')}</h2>
            <p>{t('dashboard.networkAbout')}</p>
            <NetworkPicture edges={edges} names={names} />
          </section>
          {report.needsMet && <NeedsSection session={session} needsMet={report.needsMet} names={names} onExpired={onExpired} />}
          {report.membersToContact && (
            <section aria-labelledby="contact-heading">
              <h2 id="contact-heading">{t('dashboard.contact')}</h2>
              <div class="columns">
                <ContactList title={t('dashboard.contact.receiverOnly')} people={report.membersToContact.receiverOnly} />
                <ContactList title={t('dashboard.contact.giverOnly')} people={report.membersToContact.giverOnly} />
                <ContactList title={t('dashboard.contact.dormant')} people={report.membersToContact.newlyDormant} />
                <ContactList title={t('dashboard.contact.never')} people={report.membersToContact.neverExchanged} />
              </div>
            </section>
          )}
          <section aria-labelledby="cycles-heading">
            <h2 id="cycles-heading">{t('dashboard.cycles')}</h2>
            {cycles.length === 0 ? (
              <p>{t('dashboard.cyclesNone')}</p>
            ) : (
              <ol>
                {cycles.slice(0, 10).map((cycle, index) => (
                  <li key={index}>{cycle.legs.map((leg) => t('dashboard.leg', { giver: names.get(leg.giverMemberId) ?? t('dashboard.someone'), receiver: names.get(leg.receiverMemberId) ?? t('dashboard.someone') })).join(t('dashboard.then'))}</li>
                ))}
              </ol>
            )}
          </section>
          <section aria-labelledby="downloads-heading">
            <h2 id="downloads-heading">{t('dashboard.downloads')}</h2>
            <div class="actions">
              <button type="button" onClick={() => download(`${base}/reports/mutuality?${window}`, 'mutuality.csv')}>
                {t('dashboard.download.mutuality')}
              </button>
              <button type="button" onClick={() => download(`${base}/reports/members?${window}`, 'members.csv')}>
                {t('dashboard.download.members')}
              </button>
              <button type="button" onClick={() => download(`${base}/exports/exchanges?${window}&pseudonymise=true`, 'exchanges.csv')}>
                {t('dashboard.download.exchanges')}
              </button>
            </div>
          </section>
          <RecentEvents session={session} names={accountNames} onExpired={onExpired} />
          <RecentChanges session={session} names={names} onExpired={onExpired} />
        </>
      )}
    </main>
  );
}

function ContactList({ title, people }: { title: string; people: Named[] }) {
  return (
    <div>
      <h3>
        {title} ({number(people.length)})
      </h3>
      <ul class="names">
        {people.slice(0, 50).map((person) => (
          <li key={person.memberId}>{person.displayName}</li>
        ))}
        {people.length > 50 && <li>{t('dashboard.contact.more', { count: people.length - 50 })}</li>}
      </ul>
    </div>
  );
}
