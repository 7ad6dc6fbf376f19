import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { BAG_TYPES, EXHIBIT_CATEGORIES, EXHIBIT_REFERENCE, type BagType, type ExhibitCategory, type ScreenView, type SessionView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { ChoiceGroup, type Choice } from '../components/ChoiceGroup.tsx';
import { FormHint } from '../components/FormHint.tsx';
import { PageHead, ScreenMessage } from '../components/PageHead.tsx';
import { TextField } from '../components/TextField.tsx';

type DepositView = Extract<ScreenView, { kind: 'exhibit-deposit' }>;

const CATEGORY_CHOICES: readonly Choice<ExhibitCategory>[] = EXHIBIT_CATEGORIES.map((c) => ({ value: c, label: c.charAt(0).toUpperCase() + c.slice(1) }));
const BAG_CHOICES: readonly Choice<BagType>[] = BAG_TYPES.map((b) => ({ value: b, label: b.charAt(0).toUpperCase() + b.slice(1) }));
type Day = '0' | '1' | '2';
const DAY_CHOICES: readonly Choice<Day>[] = [
  { value: '0', label: 'Today' },
  { value: '1', label: 'Yesterday' },
  { value: '2', label: '2 days ago' },
];

/** "0830" or "08:30" on the given day back from today, local time, as ISO; null if not a time. */
function seizureTime(daysAgo: Day, time: string): string | null {
  const match = /^([01]?\d|2[0-3]):?([0-5]\d)$/.exec(time.trim());
  if (!match) return null;
  const at = new Date();
  at.setDate(at.getDate() - Number(daysAgo));
  at.setHours(Number(match[1]), Number(match[2]), 0, 0);
  return at.toISOString();
}

/**
 * Any officer: deposit a sealed exhibit (PCD 1698). Every field is typed with the on-screen
 * keyboard, or scanned (a seal number, an exhibit label) into the field being filled. Deposit is
 * one way: once the door shuts, only the property store can open it. Main checks everything again.
 */
export function ExhibitDepositScreen({ screen, session, commands }: { screen: DepositView; session: SessionView | null; commands: Commands }) {
  const [reference, setReference] = useState('');
  const [occurrence, setOccurrence] = useState('');
  const [seizedBy, setSeizedBy] = useState(session?.collarNumber ?? '');
  const [day, setDay] = useState<Day>('0');
  const [time, setTime] = useState('');
  const [seizedWhere, setSeizedWhere] = useState('');
  const [description, setDescription] = useState('');
  const [category, setCategory] = useState<ExhibitCategory | null>(null);
  const [bagType, setBagType] = useState<BagType | null>(null);
  const [seal, setSeal] = useState('');
  const [secondSeal, setSecondSeal] = useState('');
  const [photoRef, setPhotoRef] = useState('');
  const [madeSafe, setMadeSafe] = useState(false);
  const [hint, setHint] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);

  // A scan goes to the field being filled; with none, a label fills the reference and anything else the seal.
  useEffect(() => {
    const code = screen.scanned;
    if (code === null) return;
    const focused = document.activeElement;
    const fields: Record<string, (value: string) => void> = { Reference: setReference, 'Seal number': setSeal, 'Second seal (optional)': setSecondSeal, 'Photograph reference (optional)': setPhotoRef };
    const label = focused instanceof HTMLInputElement ? focused.labels?.[0]?.textContent ?? '' : '';
    const fill = fields[label] ?? (EXHIBIT_REFERENCE.test(code.toUpperCase()) ? setReference : setSeal);
    fill(fill === setReference ? code.toUpperCase() : code);
  }, [screen]);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const ref = reference.trim().toUpperCase();
    if (!EXHIBIT_REFERENCE.test(ref)) return setHint('Give the exhibit reference: your initials and a number, such as AP/1, or AP/1/2 for a sub-exhibit.');
    if (occurrence.trim() === '') return setHint('Give the crime or occurrence number.');
    if (seizedBy.trim() === '') return setHint("Give the seizing officer's collar number.");
    const seizedAt = seizureTime(day, time);
    if (seizedAt === null) return setHint('Give the time it was seized, such as 0830.');
    if (seizedWhere.trim().length < 2) return setHint('Say where it was seized.');
    if (description.trim().length < 3) return setHint('Describe the exhibit.');
    if (category === null) return setHint('Choose its category.');
    if (bagType === null) return setHint('Choose the bag or container.');
    if (seal.trim().length < 3) return setHint('Give the seal number on the bag, or scan it.');
    if (category === 'firearm' && !madeSafe) return setHint('A firearm must be declared made safe before it is deposited.');
    setHint(null);
    commands.depositExhibit({
      reference: ref,
      occurrence: occurrence.trim(),
      seizedBy: seizedBy.trim(),
      seizedAt,
      seizedWhere: seizedWhere.trim(),
      description: description.trim(),
      category,
      bagType,
      seals: [seal.trim(), ...(secondSeal.trim() === '' ? [] : [secondSeal.trim()])],
      photoRef: photoRef.trim() === '' ? null : photoRef.trim(),
      madeSafe: category === 'firearm' && madeSafe,
    });
  }

  return (
    <div className="screen screen-exhibit-deposit">
      <PageHead title="Deposit an exhibit" onBack={() => commands.dismiss({})} />
      <p className="page-intro">Deposit is one way: once the door shuts, only the property store can open it. Every deposit is recorded on CCTV and the footage is kept.</p>
      <ScreenMessage message={screen.message} className="exhibit-message" />
      <form ref={form} className="refresh-form exhibit-form" onSubmit={submit} noValidate aria-label="Deposit an exhibit">
        <div className="refresh-grid">
          <div className="refresh-col">
            <TextField label="Reference" hint="Your initials and a number: AP/1, or AP/1/2 for a sub-exhibit." value={reference} onChange={setReference} maxLength={30} upperCase />
            <TextField label="Crime or occurrence number" value={occurrence} onChange={setOccurrence} maxLength={40} upperCase />
            <TextField label="Seized by (collar number)" value={seizedBy} onChange={setSeizedBy} maxLength={20} upperCase />
            <ChoiceGroup legend="Seized" choices={DAY_CHOICES} value={day} onChange={setDay} className="refresh-choices refresh-choices-row" />
            <TextField label="At (time, such as 0830)" value={time} onChange={setTime} maxLength={5} />
            <TextField label="Where" value={seizedWhere} onChange={setSeizedWhere} maxLength={200} />
            <TextField label="Description" value={description} onChange={setDescription} maxLength={500} />
          </div>
          <div className="refresh-col">
            <ChoiceGroup legend="Category" choices={CATEGORY_CHOICES} value={category} onChange={setCategory} className="refresh-choices refresh-choices-row" />
            {category === 'firearm' ? (
              <label className="choice choice-checkbox">
                <input type="checkbox" className="choice-input" checked={madeSafe} onChange={(event) => setMadeSafe(event.target.checked)} />
                <span className="choice-label">I declare this firearm made safe. I am an armourer or an authorised firearms officer.</span>
              </label>
            ) : null}
            <ChoiceGroup legend="Bag or container" choices={BAG_CHOICES} value={bagType} onChange={setBagType} className="refresh-choices refresh-choices-row" />
            <TextField label="Seal number" hint="Type it, or scan it." value={seal} onChange={setSeal} maxLength={30} upperCase />
            <TextField label="Second seal (optional)" value={secondSeal} onChange={setSecondSeal} maxLength={30} upperCase />
            <TextField label="Photograph reference (optional)" value={photoRef} onChange={setPhotoRef} maxLength={100} upperCase />
          </div>
        </div>
        <FormHint hint={hint} className="refresh-hint" />
        <div className="refresh-actions">
          <button type="submit" className="btn btn-primary">
            <span aria-hidden="true">⇲ </span>
            Open a door for it
          </button>
        </div>
      </form>
    </div>
  );
}
