import { useId, useState, type DragEvent } from 'react';

/** A file input that also takes a dropped file; the input itself stays keyboard-reachable. */
export function DropZone({
  label,
  accept,
  hint,
  onFile,
  disabled,
}: {
  label: string;
  accept: string;
  hint: string;
  onFile: (file: File) => void;
  disabled?: boolean;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file !== undefined && disabled !== true) onFile(file);
  };
  return (
    <div
      className={`drop${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="file"
        accept={accept}
        disabled={disabled}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file !== undefined) onFile(file);
        }}
      />
      <p className="muted small">{hint}</p>
    </div>
  );
}
