/** One column of {@link formatTable}. */
export interface TableColumn<R> {
  readonly header: string;
  /** Cell text of a row; `undefined`/`null` print as `-`. */
  readonly value: (row: R) => string | number | null | undefined;
  /** Numbers read better right-aligned. @defaultValue 'left' */
  readonly align?: 'left' | 'right';
  /** Longer cells are cut and end in `…`. @defaultValue no limit */
  readonly maxWidth?: number;
}

/** Options of {@link formatTable}. */
export interface FormatTableOptions {
  /** Printed instead of the table when there are no rows. @defaultValue '(none)' */
  readonly emptyText?: string;
  /** Spaces between columns. @defaultValue 2 */
  readonly gap?: number;
}

/** Shortens `text` to at most `width` characters, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function cellText(value: string | number | null | undefined): string {
  if (value === undefined || value === null || value === '') return '-';
  return String(value).replace(/[\r\n\t]+/g, ' ');
}

/**
 * Formats rows as a plain-text table: a header line, a dashed rule, one line per row, columns
 * padded to their widest cell. Trailing spaces are trimmed; the result ends with a newline.
 */
export function formatTable<R>(rows: readonly R[], columns: readonly TableColumn<R>[], options: FormatTableOptions = {}): string {
  if (rows.length === 0) return `${options.emptyText ?? '(none)'}\n`;
  const gap = ' '.repeat(options.gap ?? 2);
  const cells = rows.map((row) => columns.map((c) => truncate(cellText(c.value(row)), c.maxWidth ?? Number.POSITIVE_INFINITY)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (texts: readonly string[]): string =>
    texts
      .map((t, i) => {
        const w = widths[i] as number;
        return columns[i]?.align === 'right' ? t.padStart(w) : t.padEnd(w);
      })
      .join(gap)
      .trimEnd();
  const out = [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  return `${out.join('\n')}\n`;
}

/**
 * Formats `label: value` pairs with the values aligned, one pair per line (for a single record,
 * e.g. one operation). Pairs whose value is `undefined` are skipped; `null` prints as `-`.
 */
export function formatKeyValues(pairs: ReadonlyArray<readonly [string, string | number | null | undefined]>): string {
  const kept = pairs.filter(([, v]) => v !== undefined);
  if (kept.length === 0) return '';
  const width = Math.max(...kept.map(([k]) => k.length)) + 1;
  return kept.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${cellText(v)}`.trimEnd()).join('\n') + '\n';
}
