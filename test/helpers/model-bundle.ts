/** A tiny model bundle's files (run number in the weights and metadata, so runs differ by content). */
export function bundleFiles(run = 1): Map<string, Buffer> {
  return new Map([
    ['model.json', Buffer.from('{"modelTopology":{}}')],
    ['features.json', Buffer.from('{"feature_names":["a"]}')],
    ['weights.bin', Buffer.from([run, 2, 3, 4])],
    ['metadata.json', Buffer.from(JSON.stringify({ strategy_name: 'rsi_mlp', timeframe: '1h', version: 1, run }, null, 2) + '\n')],
  ]);
}
