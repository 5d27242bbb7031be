import { number } from './format.js';
import { t } from './i18n.js';

/*
 * Charts as plain SVG: a bar chart, a histogram and a network picture. Small enough to draw
 * by hand, and they need nothing from the network.
 */

export type Bar = { label: string; value: number; title: string };

export function BarChart({ bars, title, height = 180 }: { bars: Bar[]; title: string; height?: number }) {
  const width = 640;
  const left = 44;
  const bottom = 28;
  const top = 8;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const slot = (width - left - 8) / Math.max(1, bars.length);
  const scale = (value: number) => ((height - bottom - top) * value) / max;
  const every = Math.max(1, Math.ceil(bars.length / 12));
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
      <title>{title}</title>
      <line x1={left} y1={height - bottom} x2={width - 4} y2={height - bottom} class="axis" />
      <text x={left - 6} y={top + 10} class="tick" text-anchor="end">
        {number(max)}
      </text>
      <text x={left - 6} y={height - bottom} class="tick" text-anchor="end">
        0
      </text>
      {bars.map((bar, index) => (
        <g key={bar.label}>
          <rect class="bar" x={left + index * slot + slot * 0.1} y={height - bottom - scale(bar.value)} width={slot * 0.8} height={scale(bar.value)}>
            <title>{bar.title}</title>
          </rect>
          {index % every === 0 && (
            <text x={left + index * slot + slot / 2} y={height - 10} class="tick" text-anchor="middle">
              {bar.label}
            </text>
          )}
        </g>
      ))}
    </svg>
  );
}

export type NetworkEdge = { giver: string; receiver: string; minutes: number };

/**
 * Who helps whom among the most active members, on a circle. An edge that lies on a loop of
 * two or three people among those drawn (help that comes back) is highlighted.
 */
export function NetworkPicture({ edges, names, maxNodes = 30 }: { edges: NetworkEdge[]; names: Map<string, string>; maxNodes?: number }) {
  const turnover = new Map<string, number>();
  for (const edge of edges) {
    turnover.set(edge.giver, (turnover.get(edge.giver) ?? 0) + edge.minutes);
    turnover.set(edge.receiver, (turnover.get(edge.receiver) ?? 0) + edge.minutes);
  }
  const nodes = [...turnover.entries()].sort((left, right) => right[1] - left[1]).slice(0, maxNodes).map(([id]) => id);
  const drawn = new Set(nodes);
  const weights = new Map<string, number>();
  for (const edge of edges) {
    if (!drawn.has(edge.giver) || !drawn.has(edge.receiver)) continue;
    const key = `${edge.giver}>${edge.receiver}`;
    weights.set(key, (weights.get(key) ?? 0) + edge.minutes);
  }
  const out = new Map<string, Set<string>>();
  for (const key of weights.keys()) {
    const [from, to] = key.split('>') as [string, string];
    if (!out.has(from)) out.set(from, new Set());
    out.get(from)!.add(to);
  }
  const onLoop = (from: string, to: string) => {
    if (out.get(to)?.has(from)) return true;
    for (const middle of out.get(to) ?? []) if (out.get(middle)?.has(from)) return true;
    return false;
  };
  const size = 520;
  const radius = size / 2 - 60;
  const position = new Map(nodes.map((id, index) => [id, { x: size / 2 + radius * Math.cos((2 * Math.PI * index) / nodes.length), y: size / 2 + radius * Math.sin((2 * Math.PI * index) / nodes.length) }]));
  const maxWeight = Math.max(1, ...weights.values());
  const maxTurnover = Math.max(1, ...nodes.map((id) => turnover.get(id) ?? 0));
  return (
    <svg class="chart network" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={t('dashboard.chart.network', { count: nodes.length })}>
      <title>{t('dashboard.chart.networkTitle')}</title>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
        </marker>
      </defs>
      {[...weights.entries()].map(([key, minutes]) => {
        const [from, to] = key.split('>') as [string, string];
        const start = position.get(from)!;
        const end = position.get(to)!;
        const loop = onLoop(from, to);
        return (
          <line key={key} class={loop ? 'edge loop' : 'edge'} x1={start.x} y1={start.y} x2={end.x} y2={end.y} stroke-width={0.5 + (2.5 * minutes) / maxWeight} marker-end="url(#arrow)">
            <title>{t(loop ? 'dashboard.chart.edgeLoop' : 'dashboard.chart.edge', { giver: names.get(from) ?? t('dashboard.chart.member'), receiver: names.get(to) ?? t('dashboard.chart.member'), time: t('format.hours', { hours: Math.round(minutes / 6) / 10 }) })}</title>
          </line>
        );
      })}
      {nodes.map((id) => {
        const at = position.get(id)!;
        return (
          <circle key={id} class="node" cx={at.x} cy={at.y} r={3 + (6 * (turnover.get(id) ?? 0)) / maxTurnover}>
            <title>{names.get(id) ?? t('dashboard.chart.member')}</title>
          </circle>
        );
      })}
    </svg>
  );
}
