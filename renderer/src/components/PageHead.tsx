import { ScreenHeading } from './ScreenHeading.tsx';

/** A back-office page's title and its Back button (to the home screen). */
export function PageHead({ title, onBack, className }: { title: string; onBack: () => void; className?: string }) {
  return (
    <div className={className ? `page-head ${className}` : 'page-head'}>
      <ScreenHeading className="screen-title page-title">{title}</ScreenHeading>
      <button type="button" className="btn btn-secondary page-back" onClick={onBack}>
        <span aria-hidden="true">← </span>
        Back
      </button>
    </div>
  );
}

/** Main's note for this screen (a live region that is always there, so a new note is announced). */
export function ScreenMessage({ message, className }: { message: string | null | undefined; className: string }) {
  return (
    <div className={className} role="status">
      {message ? (
        <p className="message message-info">
          <span aria-hidden="true">ℹ </span>
          {message}
        </p>
      ) : null}
    </div>
  );
}
