import type { ReturnCondition, ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type View = Extract<ScreenView, { kind: 'return-condition' }>;

const CHOICES: { condition: ReturnCondition; label: string; icon: string; explain: string; className: string }[] = [
  {
    condition: 'ok',
    label: 'OK',
    icon: '✓',
    explain: 'Working and undamaged. It goes back into service.',
    className: 'btn-primary',
  },
  {
    condition: 'damaged',
    label: 'Damaged',
    icon: '⚠',
    explain: 'Broken, cracked or not working. It goes to quarantine for an armourer to check.',
    className: 'btn-warning',
  },
  {
    condition: 'discharged',
    label: 'Discharged',
    icon: '⚠',
    explain: 'It was fired or used. It goes to quarantine for an armourer to review.',
    className: 'btn-warning',
  },
];

export function ReturnConditionScreen({ screen, commands }: { screen: View; commands: Commands }) {
  return (
    <div className="screen screen-condition">
      <ScreenHeading>What condition is it in?</ScreenHeading>
      <p className="condition-item">
        {screen.assetTypeName} <span className="nowrap">(serial {screen.serial})</span>, in door {screen.doorNumber}
      </p>
      <ul className="condition-list">
        {CHOICES.map((choice) => (
          <li key={choice.condition}>
            <button
              type="button"
              className={`btn btn-condition ${choice.className}`}
              aria-describedby={`condition-${choice.condition}`}
              onClick={() => commands.recordCondition({ condition: choice.condition })}
            >
              <span className="condition-icon" aria-hidden="true">
                {choice.icon}
              </span>
              {choice.label}
            </button>
            <p id={`condition-${choice.condition}`} className="condition-explain">
              {choice.explain}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}
