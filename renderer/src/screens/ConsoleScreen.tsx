import { useCallback, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import type { SessionView } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { PageHead } from '../components/PageHead.tsx';
import { AmmunitionPanel } from './console/AmmunitionPanel.tsx';
import { AssetsPanel } from './console/AssetsPanel.tsx';
import { BoardPanel } from './console/BoardPanel.tsx';
import { DashboardPanel } from './console/DashboardPanel.tsx';
import { InvestigationPanel } from './console/InvestigationPanel.tsx';
import type { InvestigationRequest } from './console/InvestigationPanel.tsx';
import { MobilisationPanel } from './console/MobilisationPanel.tsx';
import { RetiredDevicesPanel } from './console/RetiredDevicesPanel.tsx';
import { StockCheckPanel } from './console/StockCheckPanel.tsx';

const TABS = [
  { id: 'board', label: 'Board', icon: '▦' },
  { id: 'mobilisation', label: 'Mobilisation', icon: '⚑' },
  { id: 'investigation', label: 'Investigation', icon: '⌕' },
  { id: 'dashboard', label: 'Dashboard', icon: '▥' },
  { id: 'assets', label: 'Assets', icon: '⚙' },
  { id: 'stock', label: 'Stock check', icon: '☑' },
  { id: 'retired', label: 'Retired devices', icon: '♻' },
  { id: 'ammunition', label: 'Ammunition', icon: '⁂' },
] as const;

export type ConsoleTab = (typeof TABS)[number]['id'];

const tabId = (tab: ConsoleTab): string => `console-tab-${tab}`;
const panelId = (tab: ConsoleTab): string => `console-panel-${tab}`;

/**
 * Armourers (and admins): the console. Who holds what now, mobilisation, investigation
 * of the audit trail, the dashboard, asset administration, stock checks and the retired
 * devices' path to disposal. The
 * renderer only asks and shows: main checks the role and decides on every call.
 */
export function ConsoleScreen({ session, commands, queries }: { session: SessionView | null; commands: Commands; queries: Queries }) {
  const [tab, setTab] = useState<ConsoleTab>('board');
  const [investigation, setInvestigation] = useState<InvestigationRequest | null>(null);
  const tabRefs = useRef<Partial<Record<ConsoleTab, HTMLButtonElement | null>>>({});
  const nonce = useRef(0);

  const select = useCallback((next: ConsoleTab, focus: boolean) => {
    setTab(next);
    if (focus) tabRefs.current[next]?.focus();
  }, []);

  const investigate = useCallback((by: 'officer' | 'asset', value: string) => {
    nonce.current += 1;
    setInvestigation({ query: { by, value, from: null, to: null }, nonce: nonce.current });
    setTab('investigation');
  }, []);

  function onTabKey(event: KeyboardEvent<HTMLButtonElement>, index: number): void {
    const last = TABS.length - 1;
    let next: number | null = null;
    if (event.key === 'ArrowRight') next = index === last ? 0 : index + 1;
    else if (event.key === 'ArrowLeft') next = index === 0 ? last : index - 1;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = last;
    if (next === null) return;
    event.preventDefault();
    const target = TABS[next];
    if (target) select(target.id, true);
  }

  return (
    <div className="screen screen-console">
      <PageHead title="Armourer console" className="console-head" onBack={() => commands.dismiss({})} />

      <div role="tablist" aria-label="Console sections" className="console-tabs">
        {TABS.map((t, index) => {
          const selected = t.id === tab;
          return (
            <button
              key={t.id}
              ref={(el) => {
                tabRefs.current[t.id] = el;
              }}
              type="button"
              role="tab"
              id={tabId(t.id)}
              aria-selected={selected}
              aria-controls={panelId(t.id)}
              tabIndex={selected ? 0 : -1}
              className={`btn console-tab${selected ? ' console-tab-selected' : ''}`}
              data-tab={t.id}
              onClick={() => select(t.id, false)}
              onKeyDown={(event) => onTabKey(event, index)}
            >
              <span aria-hidden="true" className="console-tab-icon">
                {t.icon}
              </span>
              {t.label}
            </button>
          );
        })}
      </div>

      {TABS.map((t) => (
        <section
          key={t.id}
          id={panelId(t.id)}
          role="tabpanel"
          aria-labelledby={tabId(t.id)}
          tabIndex={0}
          hidden={t.id !== tab}
          className={`console-panel console-panel-${t.id}`}
          data-panel={t.id}
        >
          {t.id === tab ? (
            <TabContent tab={t.id} session={session} queries={queries} investigation={investigation} onInvestigate={investigate} />
          ) : null}
        </section>
      ))}
    </div>
  );
}

function TabContent({
  tab,
  session,
  queries,
  investigation,
  onInvestigate,
}: {
  tab: ConsoleTab;
  session: SessionView | null;
  queries: Queries;
  investigation: InvestigationRequest | null;
  onInvestigate: (by: 'officer' | 'asset', value: string) => void;
}) {
  switch (tab) {
    case 'board':
      return <BoardPanel queries={queries} onInvestigate={onInvestigate} />;
    case 'mobilisation':
      return <MobilisationPanel queries={queries} />;
    case 'investigation':
      return <InvestigationPanel queries={queries} request={investigation} />;
    case 'dashboard':
      return <DashboardPanel queries={queries} />;
    case 'assets':
      return <AssetsPanel queries={queries} assetTypes={session?.drawOptions ?? []} />;
    case 'stock':
      return <StockCheckPanel queries={queries} />;
    case 'retired':
      return <RetiredDevicesPanel queries={queries} />;
    case 'ammunition':
      return <AmmunitionPanel queries={queries} />;
    default: {
      const unknown: never = tab;
      return <p>{String(unknown)}</p>;
    }
  }
}
