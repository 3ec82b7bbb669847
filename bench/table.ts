/** Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned. */

export type Cell = string | number;

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [headers, ...rows].map((row) => row.map((cell) => format(cell)));
  const widths = headers.map((_, column) => Math.max(...text.map((row) => row[column]?.length ?? 0)));
  const line = (row: readonly string[], raw: readonly Cell[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return typeof raw[column] === 'number' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const [head = [], ...body] = text;
  // A header sits over its column: right-aligned over numbers.
  const headAlignment = headers.map((_, column) => (typeof rows[0]?.[column] === 'number' ? 0 : ''));
  return [
    line(head, headAlignment),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map((row, index) => line(row, rows[index] ?? [])),
  ]
    .map((row) => `  ${row}`)
    .join('\n');
}

function format(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (!Number.isFinite(cell)) return '-';
  return Number.isInteger(cell) ? cell.toLocaleString('en-US') : String(cell);
}

export const kib = (bytes: number) => Math.round(bytes / 102.4) / 10;

export const percent = (fraction: number) => `${Math.round(fraction * 1000) / 10} %`;
