import { useEffect, useMemo, useState } from 'preact/hooks';
import { allPages, downloadCsv, json, onFailure, type Session } from './api.js';
import { BarChart, NetworkPicture, type NetworkEdge } from './charts.js';
import { duration, percent } from './format.js';
import { RecentChanges } from './recent-changes.js';
import { RecentEvents } from './recent-events.js';

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
};
type Activity = { items: Array<{ periodStart: string; exchanges: number; minutes: number; activeMembers: number; newMembers: number }> };
type Exchange = { giverMemberId: string; receiverMemberId: string; minutes: number };
type Cycle = { members: string[]; legs: Array<{ giverMemberId: string; receiverMemberId: string }>; score: number };

/** The headline ratios, each with the one line a coordinator needs. */
const headline: Array<[key: string, label: string, explanation: string]> = [
  ['activationRate', 'Active members', 'Registered members who gave or received in the period'],
  ['twoWayShare', 'Both give and receive', 'Members who both gave and received help'],
  ['giverOnlyShare', 'Only give', 'Members who gave but did not receive'],
  ['receiverOnlyShare', 'Only receive', 'Members who received but did not give'],
  ['edgeReciprocity', 'Help returned directly', 'Helping relationships that also run the other way'],
  ['reciprocatedMinutesShare', 'Hours returned directly', 'Hours matched by hours going back between the same two people'],
  ['edgesOnCycleShare', 'Help that circulates', 'Helping relationships that are part of some loop back to the giver'],
  ['indirectReciprocityShare', 'Paid forward', 'Relationships on a loop of 3 or more people: help returned through others'],
  ['largestCirculationShare', 'Largest circle', 'Share of members in the largest group where help can flow from anyone to anyone'],
  ['top20Share', 'Busiest fifth', 'Hours involving the busiest 20% of members'],
  ['giniTurnover', 'Inequality of activity', 'Gini of hours given plus received: 0 even, 1 all in one person'],
];

const windowOf = (months: number) => {
  const to = new Date();
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - months + 1, 1));
  return `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
};

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
      (activity?.items ?? []).map((period) => ({
        label: period.periodStart.slice(0, 7),
        value: Math.round(period.minutes / 60),
        title: `${period.periodStart.slice(0, 7)}: ${duration(period.minutes)} in ${period.exchanges} exchanges, ${period.activeMembers} active, ${period.newMembers} joined`,
      })),
    [activity],
  );

  return (
    <main class="wide">
      <div class="title-row">
        <h1>Community dashboard</h1>
        <label>
          Period{' '}
          <select value={months} onChange={(event) => setMonths(Number(event.currentTarget.value))}>
            <option value={3}>Last 3 months</option>
            <option value={6}>Last 6 months</option>
            <option value={12}>Last 12 months</option>
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!report ? (
        <p aria-busy="true">Loading the report…</p>
      ) : (
        <>
          <section aria-labelledby="figures-heading">
            <h2 id="figures-heading">At a glance</h2>
            <p>
              <strong data-testid="exchanges">{report.exchanges}</strong> exchanges, <strong>{duration(report.minutes)}</strong> of help, among <strong data-testid="active-members">{report.activeMembers}</strong> active of{' '}
              <strong>{report.registeredMembers}</strong> members.
            </p>
            <ul class="figures">
              {headline.map(([key, label, explanation]) => {
                const figure = report[key] as Ratio;
                return (
                  <li key={key} class="figure" tabIndex={0} title={`${explanation}: ${figure.numerator} / ${figure.denominator}`} data-figure={key} data-value={figure.value === null ? '' : String(figure.value)}>
                    <span class="value">{percent(figure.value)}</span>
                    <span class="label">{label}</span>
                    <span class="fraction">
                      {figure.numerator} / {figure.denominator}
                    </span>
                  </li>
                );
              })}
            </ul>
            <p>
              Loops of help: {Object.entries(report.cycles).map(([length, count]) => `${count} of ${length} people`).join(', ')}
              {report.cyclesTruncated ? ' (count stopped early: at least this many)' : ''}.
            </p>
          </section>
          <section aria-labelledby="activity-heading">
            <h2 id="activity-heading">Hours exchanged per month</h2>
            <BarChart bars={monthly} title="Hours exchanged per month" />
          </section>
          <section aria-labelledby="balance-heading">
            <h2 id="balance-heading">Give and take</h2>
            <p>
              Each member's balance index: −1 only received, +1 only gave. {percent(report.balanceIndex.balancedShare.value)} are balanced (between −0.5 and 0.5).
            </p>
            <BarChart
              bars={report.balanceIndex.bins.map((bin) => ({ label: `${bin.from} to ${bin.to}`, value: bin.members, title: `${bin.members} members between ${bin.from} and ${bin.to}` }))}
              title="Members by balance index"
              height={160}
            />
          </section>
          <section aria-labelledby="network-heading">
            <h2 id="network-heading">Who helps whom</h2>
            <p>The most active members; arrows point from the one who gave to the one who received. Highlighted: help that came back, directly or through a third person.</p>
            <NetworkPicture edges={edges} names={names} />
          </section>
          {report.membersToContact && (
            <section aria-labelledby="contact-heading">
              <h2 id="contact-heading">Members to contact</h2>
              <div class="columns">
                <ContactList title="Only receive: invite them to offer something" people={report.membersToContact.receiverOnly} />
                <ContactList title="Only give: remind them they can ask" people={report.membersToContact.giverOnly} />
                <ContactList title="Gone quiet" people={report.membersToContact.newlyDormant} />
                <ContactList title="Never exchanged" people={report.membersToContact.neverExchanged} />
              </div>
            </section>
          )}
          <section aria-labelledby="cycles-heading">
            <h2 id="cycles-heading">Suggested exchange loops</h2>
            {cycles.length === 0 ? (
              <p>No loops among the open offers and requests right now.</p>
            ) : (
              <ol>
                {cycles.slice(0, 10).map((cycle, index) => (
                  <li key={index}>{cycle.legs.map((leg) => `${names.get(leg.giverMemberId) ?? 'A member'} helps ${names.get(leg.receiverMemberId) ?? 'a member'}`).join(', then ')}</li>
                ))}
              </ol>
            )}
          </section>
          <section aria-labelledby="downloads-heading">
            <h2 id="downloads-heading">Downloads</h2>
            <div class="actions">
              <button type="button" onClick={() => download(`${base}/reports/mutuality?${window}`, 'mutuality.csv')}>
                Mutuality figures (CSV)
              </button>
              <button type="button" onClick={() => download(`${base}/reports/members?${window}`, 'members.csv')}>
                Members (CSV)
              </button>
              <button type="button" onClick={() => download(`${base}/exports/exchanges?${window}&pseudonymise=true`, 'exchanges.csv')}>
                Exchanges, pseudonymised (CSV)
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
        {title} ({people.length})
      </h3>
      <ul class="names">
        {people.slice(0, 50).map((person) => (
          <li key={person.memberId}>{person.displayName}</li>
        ))}
        {people.length > 50 && <li>and {people.length - 50} more</li>}
      </ul>
    </div>
  );
}
