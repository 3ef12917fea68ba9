import type { Command } from 'commander';
import { listAvailableData, type AvailableData } from '../../domain/data/data-files.js';
import { importOhlcvCsv } from '../../domain/data/import.js';
import { generateSampleData, type SampleDataFile } from '../../domain/data/sample-data.js';
import type { CommandContext } from '../command-context.js';
import { collectSymbols, parseCount, parseDate, parseSymbol } from '../option-parsers.js';
import { formatKeyValues, formatTable, type TableColumn } from '../table.js';

const fileColumns: TableColumn<SampleDataFile>[] = [
  { header: 'SYMBOL', value: (f) => f.symbol },
  { header: 'TIMEFRAME', value: (f) => f.timeframe },
  { header: 'BARS', value: (f) => f.rows, align: 'right' },
  { header: 'FIRST', value: (f) => f.first },
  { header: 'LAST', value: (f) => f.last },
  { header: 'FILE', value: (f) => f.path, minWidth: 20, elide: 'middle' },
];

const availableColumns: TableColumn<AvailableData>[] = [
  { header: 'SYMBOL', value: (d) => d.symbol },
  { header: 'TIMEFRAME', value: (d) => d.timeframe },
  { header: 'FILE', value: (d) => d.path, minWidth: 20, elide: 'middle' },
];

const DATA_DIR_HELP = 'data directory (default: $KTRDR_DATA_DIR or ./data)';

interface GenerateOptions {
  dataDir?: string;
  symbols?: string[];
  start?: string;
  end?: string;
  seed?: number;
}

interface ImportOptions {
  symbol: string;
  timeframe: string;
  overwrite?: boolean;
  dataDir?: string;
}

/** `ktrdr data generate|import|list`: local OHLCV files (no backend needed). */
export function registerDataCommands(program: Command, ctx: CommandContext): void {
  const data = program.command('data').description('local OHLCV data files: generate samples, import CSVs, list');

  data
    .command('generate')
    .description('write the deterministic synthetic sample data set (1h, 4h, 1d per symbol)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--symbols <list>', 'symbols, comma-separated (default: EURUSD,GBPUSD)', collectSymbols)
    .option('--start <date>', 'first day (default: 2019-01-01)', parseDate)
    .option('--end <date>', 'last day, inclusive (default: 2024-12-31)', parseDate)
    .option('--seed <n>', 'base random seed (default: 20190101)', parseCount)
    .addHelpText('after', '\nExamples:\n  ktrdr data generate\n  ktrdr data generate --data-dir /tmp/ktrdr-data --symbols EURUSD,USDJPY --start 2023-01-01')
    .action((o: GenerateOptions, command: Command) => {
      const dataDir = ctx.dataDir(o.dataDir);
      const files = generateSampleData({ dataDir, symbols: o.symbols, start: o.start, end: o.end, seed: o.seed });
      if (ctx.isJson(command)) return ctx.printJson({ data_dir: dataDir, files });
      ctx.print(`Wrote ${files.length} files to ${dataDir}\n`);
      ctx.print(formatTable(files, fileColumns, ctx.tableOptions()));
    });

  data
    .command('import')
    .description('import an OHLCV CSV (many layouts understood) as {SYMBOL}_{TIMEFRAME}.csv')
    .argument('<file>', 'the CSV file to import')
    .requiredOption('--symbol <symbol>', 'symbol the bars belong to, e.g. EURUSD (upper-cased)', parseSymbol)
    .requiredOption('--timeframe <timeframe>', 'bar timeframe, e.g. 1h, 4h, 1d')
    .option('--overwrite', 'replace an existing file for that symbol and timeframe')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .addHelpText('after', '\nExample:\n  ktrdr data import ~/Downloads/EURUSD_H1.csv --symbol EURUSD --timeframe 1h --overwrite')
    .action((file: string, o: ImportOptions, command: Command) => {
      const result = importOhlcvCsv({ file, symbol: o.symbol, timeframe: o.timeframe, dataDir: ctx.dataDir(o.dataDir), overwrite: o.overwrite });
      if (ctx.isJson(command)) return ctx.printJson(result);
      ctx.print(
        formatKeyValues([
          ['Imported', `${result.rows} bars of ${o.symbol} ${o.timeframe}`],
          ['Range', `${result.first} → ${result.last}`],
          ['Written to', result.path],
          ['Ignored columns', result.ignoredColumns.length > 0 ? result.ignoredColumns.join(', ') : undefined],
          ['Volume', result.hasVolume ? undefined : 'no volume column: written as 0'],
        ]),
      );
      for (const w of result.warnings) ctx.print(`Warning: ${w}`);
    });

  data
    .command('list')
    .description('list the OHLCV files in the data directory')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action((o: { dataDir?: string }, command: Command) => {
      const dataDir = ctx.dataDir(o.dataDir);
      const files = listAvailableData(dataDir);
      if (ctx.isJson(command)) return ctx.printJson({ data_dir: dataDir, files });
      ctx.print(formatTable(files, availableColumns, ctx.tableOptions({ emptyText: `No data files in ${dataDir}. Create samples with \`ktrdr data generate\`.` })));
    });
}
