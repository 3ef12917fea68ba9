import { colorStatus } from './status-color.js';

/** One column of {@link formatTable}. */
export interface TableColumn<R> {
  readonly header: string;
  /** Cell text of a row; `undefined`/`null` print as `-`. */
  readonly value: (row: R) => string | number | null | undefined;
  /** Numbers read better right-aligned. @defaultValue 'left' */
  readonly align?: 'left' | 'right';
  /** Longer cells are cut and end in `…`. @defaultValue no limit */
  readonly maxWidth?: number;
  /**
   * When the table is wider than {@link FormatTableOptions.width}, the column may be cut down to
   * this many characters. Free text (`elide: 'end'`) is cut before any column is dropped; an id
   * (`elide: 'middle'`, keeps its head and tail) only once every droppable column is gone.
   * @defaultValue never cut to fit
   */
  readonly minWidth?: number;
  /** How a cell is cut to fit: its end, or its middle (for ids). @defaultValue 'end' */
  readonly elide?: 'end' | 'middle';
  /**
   * The column is left out when the table does not fit its width; columns with the lowest rank go
   * first. @defaultValue never dropped
   */
  readonly dropRank?: number;
  /** The status word that colours the cell when {@link FormatTableOptions.color} is on. */
  readonly colorBy?: (row: R) => string | null | undefined;
}

/** Options of {@link formatTable}. */
export interface FormatTableOptions {
  /** Printed instead of the table when there are no rows. @defaultValue '(none)' */
  readonly emptyText?: string;
  /** Spaces between columns. @defaultValue 2 */
  readonly gap?: number;
  /** Fit the table into this many characters (the terminal width). @defaultValue no limit */
  readonly width?: number;
  /** Colour the cells of columns with `colorBy` (ANSI). @defaultValue false */
  readonly color?: boolean;
}

/** Shortens `text` to at most `width` characters, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Shortens `text` to at most `width` characters by cutting its middle: `op_backtesting_…1a2b3c4d`. */
export function elideMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return truncate(text, width);
  const tail = Math.floor((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${tail > 0 ? text.slice(-tail) : ''}`;
}

interface Layout {
  /** Indexes of the columns shown. */
  readonly shown: number[];
  /** Width of every column (by index into the full column list). */
  readonly widths: number[];
}

/**
 * Chooses which columns to show and how wide: natural widths when they fit; else free-text
 * columns shrink to their `minWidth`, then droppable columns go (lowest `dropRank` first), then ids
 * shrink. Whatever room is left goes back to the shrunk columns.
 */
function fitLayout<R>(columns: readonly TableColumn<R>[], natural: readonly number[], gap: number, width: number | undefined): Layout {
  const all = columns.map((_, i) => i);
  if (width === undefined) return { shown: all, widths: [...natural] };
  const total = (shown: readonly number[], widths: readonly number[]) =>
    shown.reduce((sum, i) => sum + (widths[i] as number), 0) + gap * Math.max(0, shown.length - 1);
  const minOf = (i: number) => Math.min(natural[i] as number, Math.max(columns[i]?.header.length ?? 0, columns[i]?.minWidth ?? Number.POSITIVE_INFINITY));
  const isId = (i: number) => columns[i]?.elide === 'middle';

  let shown = all;
  const widths = [...natural];
  if (total(shown, widths) <= width) return { shown, widths };
  const shrinkable = all.filter((i) => columns[i]?.minWidth !== undefined);
  const shrink = (which: readonly number[]) => which.forEach((i) => (widths[i] = minOf(i)));
  shrink(shrinkable.filter((i) => !isId(i)));
  const droppable = all.filter((i) => columns[i]?.dropRank !== undefined).sort((a, b) => (columns[a]?.dropRank as number) - (columns[b]?.dropRank as number));
  for (const i of droppable) {
    if (total(shown, widths) <= width) break;
    shown = shown.filter((j) => j !== i);
  }
  if (total(shown, widths) > width) shrink(shrinkable.filter(isId));
  // Give the room left back, ids first (a whole id can be copied), then the text columns.
  let room = width - total(shown, widths);
  for (const i of [...shrinkable.filter(isId), ...shrinkable.filter((j) => !isId(j))]) {
    if (room <= 0 || !shown.includes(i)) continue;
    const grow = Math.min(room, (natural[i] as number) - (widths[i] as number));
    widths[i] = (widths[i] as number) + grow;
    room -= grow;
  }
  return { shown, widths };
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
  const gapWidth = options.gap ?? 2;
  const gap = ' '.repeat(gapWidth);
  const cells = rows.map((row) => columns.map((c) => truncate(cellText(c.value(row)), c.maxWidth ?? Number.POSITIVE_INFINITY)));
  const natural = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] as string).length)));
  const { shown, widths } = fitLayout(columns, natural, gapWidth, options.width);
  const fit = (text: string, i: number): string => {
    const w = widths[i] as number;
    return columns[i]?.elide === 'middle' ? elideMiddle(text, w) : truncate(text, w);
  };
  const line = (texts: readonly string[], row?: R): string =>
    shown
      .map((i) => {
        const w = widths[i] as number;
        const t = fit(texts[i] as string, i);
        const status = row !== undefined && options.color === true ? columns[i]?.colorBy?.(row) : undefined;
        // Escape codes take no room on screen: pad by the plain text's length.
        const shown = status ? colorStatus(t, status) : t;
        const pad = ' '.repeat(Math.max(0, w - t.length));
        return columns[i]?.align === 'right' ? pad + shown : shown + pad;
      })
      .join(gap)
      .trimEnd();
  const out = [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((texts, r) => line(texts, rows[r])),
  ];
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
