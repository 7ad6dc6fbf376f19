/**
 * What to fix in a form, in an alert region that is always there (so a new hint is announced)
 * and empty when there is nothing to fix. `id` lets a field point at it with aria-describedby.
 */
export function FormHint({ hint, className, id }: { hint: string | null; className: string; id?: string }) {
  return (
    <div role="alert" className={className}>
      {hint ? (
        <p id={id} className="field-error">
          <span aria-hidden="true">⚠ </span>
          {hint}
        </p>
      ) : null}
    </div>
  );
}
