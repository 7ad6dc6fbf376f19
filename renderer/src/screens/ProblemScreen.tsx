import type { ScreenView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type View = Extract<ScreenView, { kind: 'problem' }>;

export function ProblemScreen({ screen, commands }: { screen: View; commands: Commands }) {
  return (
    <div className="screen screen-problem">
      <p className="problem-mark" aria-hidden="true">
        ⚠
      </p>
      <ScreenHeading>{screen.title}</ScreenHeading>
      <p className="problem-text">{screen.message}</p>
      <button type="button" className="btn btn-primary btn-huge" onClick={() => commands.dismiss({})}>
        OK
      </button>
    </div>
  );
}
