import type { TrainingImportRowProblem } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ImportSections } from '../components/ImportReport.tsx';
import { PageHead } from '../components/PageHead.tsx';

const PROBLEM_TEXT: Record<TrainingImportRowProblem['problem'], string> = {
  'unknown-officer': 'Unknown officer',
  'unknown-qualification': 'Unknown qualification',
  'bad-date': 'Bad date',
  'duplicate-row': 'Duplicate row',
  'future-date': 'Date in the future',
  'missing-field': 'Missing field',
  malformed: 'Malformed',
};

/** Site admins: import a training records export (CSV or JSON), with its report and past imports. */
export function TrainingScreen({ commands, queries }: { commands: Commands; queries: Queries }) {
  return (
    <div className="screen screen-training">
      <PageHead title="Training records" onBack={() => commands.dismiss({})} />
      <ImportSections
        name="training"
        title="Import an export"
        hint={
          <>
            Columns collar_number, qualification_code, awarded_on, expires_on (or a JSON list of records). Every record needs
            its expiry, unless the qualification has a validity period to work it out from. The file must be UTF-8. The whole
            file is checked first: if any row has a problem, nothing is changed.
          </>
        }
        fileLabel="Training export file (CSV or JSON)"
        send={queries.importTraining}
        list={queries.listTrainingImports}
        problemText={PROBLEM_TEXT}
      />
    </div>
  );
}
