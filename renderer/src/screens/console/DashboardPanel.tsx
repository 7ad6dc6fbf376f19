import { memo, useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ChartConfiguration } from 'chart.js';
import type { DashboardView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { OutcomeMessages, codeToWords, useAlive } from './shared.tsx';

Chart.register(BarController, BarElement, CategoryScale, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip);

// The kiosk's palette (styles.css): light marks on the dark surface, >= 3:1.
const TEXT = '#f4f6f8';
const GRID = '#3a4656';
const PRIMARY = '#a6cdff';
const WARNING = '#ffc061';
const OK = '#8be3a8';
const FONT = "'DejaVu Sans', 'Liberation Sans', system-ui, sans-serif";

const REFUSAL_WORDS: Record<string, string> = {
  'officer-suspended': 'Officer suspended',
  'officer-restricted': 'Officer restricted',
  'qualification-missing': 'Qualification missing',
  'qualification-expired': 'Qualification expired',
  'role-required': 'Role required',
  'unit-not-authorised': 'Unit not authorised',
  'limit-reached': 'Limit reached',
  'none-available': 'None available',
  'reference-stale': 'Reference data stale',
};

const hourFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });

function hourLabel(hour: string): string {
  const date = new Date(hour);
  return Number.isNaN(date.getTime()) ? hour : hourFormat.format(date);
}

function dayKey(hour: string): string {
  const date = new Date(hour);
  return Number.isNaN(date.getTime()) ? hour.slice(0, 10) : dayFormat.format(date);
}

function reducedMotion(): boolean {
  return window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null) return 'No data yet';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** Activity over the last 7 days: charts (each with a text alternative) and two figures. */
export function DashboardPanel({ queries }: { queries: Queries }) {
  const [view, setView] = useState<DashboardView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const alive = useAlive();
  const { getDashboard } = queries;

  const load = useCallback(async () => {
    const result = await getDashboard({});
    if (!alive.current) return;
    if (result.ok) {
      setView(result.value);
      setProblem(null);
    } else {
      setProblem(`Could not load the dashboard: ${result.error.message}`);
    }
  }, [getDashboard, alive]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="console-body">
      <div className="console-toolbar">
        <h2 className="console-panel-title">Dashboard (last 7 days)</h2>
        <div className="console-actions">
          <button type="button" className="btn btn-secondary" onClick={() => void load()}>
            <span aria-hidden="true">⟳ </span>
            Refresh
          </button>
        </div>
      </div>
      <OutcomeMessages outcome={null} problem={problem} />
      {view === null ? <p className="muted">{problem ? 'Not available.' : 'Loading…'}</p> : <Dashboard view={view} />}
    </div>
  );
}

/** Memoised: the charts are re-drawn only when main sends a new view. */
const Dashboard = memo(function Dashboard({ view }: { view: DashboardView }) {
  const hours = view.issuesReturnsByHour;
  const totalIssues = hours.reduce((sum, h) => sum + h.issues, 0);
  const totalReturns = hours.reduce((sum, h) => sum + h.returns, 0);
  const busiest = hours.reduce<{ hour: string; count: number } | null>((best, h) => {
    const count = h.issues + h.returns;
    return count > 0 && (best === null || count > best.count) ? { hour: h.hour, count } : best;
  }, null);
  const byDay = new Map<string, { issues: number; returns: number }>();
  for (const h of hours) {
    const key = dayKey(h.hour);
    const day = byDay.get(key) ?? { issues: 0, returns: 0 };
    day.issues += h.issues;
    day.returns += h.returns;
    byDay.set(key, day);
  }
  const refusals = [...view.refusalsByReason].sort((a, b) => b.count - a.count);
  const totalRefusals = refusals.reduce((sum, r) => sum + r.count, 0);
  const util = view.utilisationByType.map((u) => ({ ...u, percent: u.total > 0 ? Math.round((u.onLoan / u.total) * 100) : 0 }));
  const animate = !reducedMotion();

  const activityConfig: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      labels: hours.map((h) => hourLabel(h.hour)),
      datasets: [
        { label: 'Issues', data: hours.map((h) => h.issues), borderColor: PRIMARY, backgroundColor: PRIMARY, borderWidth: 3, pointRadius: 0, pointStyle: 'circle', tension: 0 },
        { label: 'Returns', data: hours.map((h) => h.returns), borderColor: WARNING, backgroundColor: WARNING, borderWidth: 3, borderDash: [8, 5], pointRadius: 0, pointStyle: 'triangle', tension: 0 },
      ],
    },
    options: {
      ...baseOptions(animate),
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { labels: { color: TEXT, font: { family: FONT, size: 16 }, usePointStyle: true } }, tooltip: { enabled: true } },
      scales: {
        x: { ticks: { color: TEXT, font: { family: FONT, size: 13 }, maxTicksLimit: 8, maxRotation: 0 }, grid: { color: GRID } },
        y: { beginAtZero: true, ticks: { color: TEXT, font: { family: FONT, size: 14 }, precision: 0 }, grid: { color: GRID }, title: { display: true, text: 'Per hour', color: TEXT, font: { family: FONT, size: 14 } } },
      },
    },
  };

  const refusalConfig: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: refusals.map((r) => REFUSAL_WORDS[r.code] ?? codeToWords(r.code)),
      datasets: [{ label: 'Refusals', data: refusals.map((r) => r.count), backgroundColor: WARNING, borderColor: WARNING }],
    },
    options: {
      ...baseOptions(animate),
      indexAxis: 'y',
      plugins: { legend: { display: false }, tooltip: { enabled: true } },
      scales: {
        x: { beginAtZero: true, ticks: { color: TEXT, font: { family: FONT, size: 14 }, precision: 0 }, grid: { color: GRID } },
        y: { ticks: { color: TEXT, font: { family: FONT, size: 14 } }, grid: { color: GRID } },
      },
    },
  };

  const utilConfig: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: util.map((u) => u.assetTypeName),
      datasets: [{ label: '% on loan', data: util.map((u) => u.percent), backgroundColor: OK, borderColor: OK }],
    },
    options: {
      ...baseOptions(animate),
      plugins: { legend: { display: false }, tooltip: { enabled: true } },
      scales: {
        x: { ticks: { color: TEXT, font: { family: FONT, size: 14 } }, grid: { color: GRID } },
        y: { beginAtZero: true, max: 100, ticks: { color: TEXT, font: { family: FONT, size: 14 }, callback: (v) => `${v}%` }, grid: { color: GRID } },
      },
    },
  };

  return (
    <div className="dash">
      <dl className="dash-figures">
        <div className="panel dash-figure" data-figure="median-sign-in-to-door">
          <dt>Median sign-in to door open</dt>
          <dd>{formatSeconds(view.medianSignInToDoorSeconds)}</dd>
        </div>
        <div className="panel dash-figure" data-figure="overdue">
          <dt>Overdue now</dt>
          <dd>
            {view.overdueCount > 0 ? <span aria-hidden="true">⚠ </span> : null}
            {view.overdueCount}
          </dd>
        </div>
      </dl>

      <div className="dash-charts">
        <ChartFigure
          className="dash-chart-wide"
          name="activity"
          empty={hours.length === 0}
          title="Issues and returns per hour"
          summary={`${totalIssues} issues and ${totalReturns} returns in the last 7 days${busiest ? `; busiest hour ${hourLabel(busiest.hour)} with ${busiest.count}` : ''}. Issues: solid line; returns: dashed line.`}
          config={activityConfig}
          table={
            <table>
              <caption>Issues and returns per day</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Issues</th>
                  <th scope="col">Returns</th>
                </tr>
              </thead>
              <tbody>
                {[...byDay.entries()].map(([day, counts]) => (
                  <tr key={day}>
                    <th scope="row">{day}</th>
                    <td>{counts.issues}</td>
                    <td>{counts.returns}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          }
        />
        <ChartFigure
          name="refusals"
          empty={totalRefusals === 0}
          title="Refusals by reason"
          summary={
            refusals.length === 0
              ? 'No refusals in the last 7 days.'
              : `${totalRefusals} refusals; most common: ${REFUSAL_WORDS[refusals[0]?.code ?? ''] ?? codeToWords(refusals[0]?.code ?? '')} (${refusals[0]?.count ?? 0}).`
          }
          config={refusalConfig}
          table={
            <table>
              <caption>Refusals by reason</caption>
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col">Refusals</th>
                </tr>
              </thead>
              <tbody>
                {refusals.map((r) => (
                  <tr key={r.code}>
                    <th scope="row">{REFUSAL_WORDS[r.code] ?? codeToWords(r.code)}</th>
                    <td>{r.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          }
        />
        <ChartFigure
          name="utilisation"
          empty={util.length === 0}
          title="Utilisation by type (on loan now)"
          summary={util.length === 0 ? 'No asset types.' : util.map((u) => `${u.assetTypeName} ${u.onLoan} of ${u.total} (${u.percent}%)`).join('; ') + '.'}
          config={utilConfig}
          table={
            <table>
              <caption>Utilisation by type</caption>
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">On loan</th>
                  <th scope="col">Total</th>
                  <th scope="col">Percent</th>
                </tr>
              </thead>
              <tbody>
                {util.map((u) => (
                  <tr key={u.assetTypeName}>
                    <th scope="row">{u.assetTypeName}</th>
                    <td>{u.onLoan}</td>
                    <td>{u.total}</td>
                    <td>{u.percent}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
          }
        />
      </div>
    </div>
  );
});

function baseOptions(animate: boolean): { responsive: true; maintainAspectRatio: false; animation: false | { duration: number } } {
  // prefers-reduced-motion: no animation at all.
  return { responsive: true, maintainAspectRatio: false, animation: animate ? { duration: 400 } : false };
}

/**
 * One chart: the canvas is decoration for sighted readers (aria-hidden); the caption's
 * summary and a visually-hidden table carry the same numbers for screen readers.
 */
function ChartFigure<T extends 'line' | 'bar'>({
  name,
  title,
  summary,
  config,
  table,
  className,
  empty = false,
}: {
  /** Nothing to draw: say so in words instead of an empty pair of axes. */
  empty?: boolean;
  name: string;
  title: string;
  summary: string;
  config: ChartConfiguration<T>;
  table: ReactNode;
  className?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const titleId = useId();
  useEffect(() => {
    const element = canvas.current;
    if (!element || empty) return;
    const chart = new Chart<T>(element, config);
    return () => chart.destroy();
  }, [config, empty]);
  return (
    <figure className={`panel dash-chart${className ? ` ${className}` : ''}`} aria-labelledby={titleId} data-chart={name}>
      <h3 id={titleId} className="dash-chart-title">
        {title}
      </h3>
      {empty ? (
        <p className="dash-empty" aria-hidden="true">
          Nothing to chart yet.
        </p>
      ) : (
        <div className="dash-canvas">
          <canvas ref={canvas} aria-hidden="true" />
        </div>
      )}
      <figcaption className="dash-summary">{summary}</figcaption>
      <div className="visually-hidden">{table}</div>
    </figure>
  );
}
