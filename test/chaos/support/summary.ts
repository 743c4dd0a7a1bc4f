import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { chaosSeed } from './random';

/** The suite's summary table: one row per scenario and mode, printed at the end and written to RELIABILITY.md. */
export interface SummaryRow {
  scenario: string;
  /** `inline` or `deferred` (`webhookProcessing`); absent for a row about the whole run (the log scan). */
  mode?: string;
  /** HTTP requests made, retries included. */
  sent: number;
  distinct?: number;
  duplicates?: number;
  reordered?: number;
  kills?: number;
  status503?: number;
  /** 5xx answers other than the 503s the scenario expects (none expected anywhere). */
  other5xx: number;
  mismatches?: number;
  lost?: number;
  doubled?: number;
  seconds: number;
  notes: string;
}

export const summaryRows: SummaryRow[] = [];

const COLUMNS: [keyof SummaryRow, string][] = [
  ['scenario', 'scenario'],
  ['mode', 'mode'],
  ['sent', 'requests sent'],
  ['distinct', 'distinct events'],
  ['duplicates', 'duplicates'],
  ['reordered', 'reordered'],
  ['kills', 'kills'],
  ['status503', '503s'],
  ['other5xx', 'other 5xx'],
  ['mismatches', 'final mismatches'],
  ['lost', 'lost events'],
  ['doubled', 'doubled events'],
  ['seconds', 'seconds'],
  ['notes', 'notes'],
];

export function renderTable(rows: readonly SummaryRow[]): string {
  const cell = (row: SummaryRow, key: keyof SummaryRow) => {
    const value = row[key];
    if (value === undefined) return '—';
    return typeof value === 'number' && key === 'seconds' ? value.toFixed(1) : String(value);
  };
  const lines = [`| ${COLUMNS.map(([, title]) => title).join(' | ')} |`, `|${COLUMNS.map(([key]) => (key === 'scenario' || key === 'mode' || key === 'notes' ? '---' : '---:')).join('|')}|`];
  for (const row of rows) lines.push(`| ${COLUMNS.map(([key]) => cell(row, key)).join(' | ')} |`);
  return lines.join('\n');
}

const START = '<!-- chaos-summary:start -->';
const END = '<!-- chaos-summary:end -->';

/** Replaces the generated part of RELIABILITY.md (between the markers), keeping the prose around it. */
export function writeReliabilityReport(rows: readonly SummaryRow[], totalSeconds: number, passed: boolean): string {
  const file = join(__dirname, '..', '..', '..', 'RELIABILITY.md');
  const section = [
    START,
    `Last run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, \`npm run test:chaos\` (node scripts/test.js --config test/chaos/jest.chaos.config.js),`,
    `node ${process.version}, ${availableParallelism()} cores, seed ${chaosSeed()}; ` +
      `${totalSeconds.toFixed(0)} s for the scenarios; ${passed ? 'every scenario passed' : 'SOME SCENARIOS FAILED (see the test output)'}.`,
    '',
    renderTable(rows),
    END,
  ].join('\n');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = `# Reliability\n\n${START}\n${END}\n`;
  }
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  text = start >= 0 && end > start ? text.slice(0, start) + section + text.slice(end + END.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
  return file;
}
