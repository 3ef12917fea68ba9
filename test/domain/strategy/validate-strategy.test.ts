import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StrategyValidationError, type StrategyIssue } from '../../../src/domain/strategy/strategy-validation-error.js';
import { validateStrategy } from '../../../src/domain/strategy/validate-strategy.js';

/** A valid multi-timeframe document; each test deep-copies and breaks one thing. */
function baseDoc(): Record<string, any> {
  return {
    name: 'test_strategy',
    version: '3.0',
    description: 'fixture',
    training_data: {
      symbols: { mode: 'single', symbol: 'EURUSD' },
      timeframes: { mode: 'multi_timeframe', timeframes: ['1h', '4h'], base_timeframe: '1h' },
      history_required: 100,
    },
    indicators: {
      rsi_14: { type: 'rsi', period: 14, source: 'close' },
      macd_12: { type: 'macd', fast_period: 12, slow_period: 26, signal_period: 9 },
    },
    fuzzy_sets: {
      rsi_14: { indicator: 'rsi_14', oversold: [30, 30, 45], neutral: [35, 50, 65], overbought: [55, 70, 70] },
      macd_hist: {
        indicator: 'macd_12.histogram',
        negative: [-0.0004, -0.0004, 0],
        neutral: { type: 'gaussian', parameters: [0, 0.0001] },
        positive: { type: 'trapezoidal', parameters: [0, 0.0003, 1, 1] },
      },
    },
    nn_inputs: [
      { fuzzy_set: 'rsi_14', timeframes: 'all' },
      { fuzzy_set: 'macd_hist', timeframes: ['1h'] },
    ],
    model: { type: 'mlp', architecture: { hidden_layers: [32, 16], activation: 'relu', dropout: 0.1 } },
    decisions: {
      mode: 'neural',
      output_format: 'classification',
      confidence_threshold: 0.55,
      position_awareness: false,
      filters: { min_signal_separation: 3 },
      rules: { buy: ['rsi_14.oversold', '4h_rsi_14_oversold'], sell: ['rsi_14.overbought'] },
    },
    training: {
      epochs: 30,
      batch_size: 256,
      learning_rate: 0.002,
      labels: { source: 'zigzag', zigzag_threshold: 0.004, label_lookahead: 15 },
      data_split: { train: 0.6, validation: 0.2, test: 0.2 },
      early_stopping: { patience: 5 },
    },
  };
}

function issuesOf(doc: unknown): StrategyIssue[] {
  try {
    validateStrategy(doc);
  } catch (err) {
    assert.ok(err instanceof StrategyValidationError, `expected StrategyValidationError, got ${String(err)}`);
    assert.equal(err.code, 'STRATEGY_INVALID');
    return [...err.issues];
  }
  assert.fail('expected validation to fail');
}

/** Asserts the document fails with (at least) an issue at `path` whose message matches. */
function expectIssue(doc: unknown, path: string, message: RegExp): void {
  const issues = issuesOf(doc);
  const hit = issues.find((i) => i.path === path && message.test(i.message));
  assert.ok(hit, `no issue at ${path} matching ${message}; got:\n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`);
}

describe('validateStrategy: valid documents', () => {
  test('normalises shapes and keeps what was written', () => {
    const s = validateStrategy(baseDoc());
    assert.equal(s.name, 'test_strategy');
    assert.deepEqual(s.training_data, {
      symbols: { mode: 'single', symbols: ['EURUSD'] },
      timeframes: { mode: 'multi_timeframe', timeframes: ['1h', '4h'], base_timeframe: '1h' },
      history_required: 100,
    });
    assert.deepEqual(s.fuzzy_sets['rsi_14'], {
      indicator: 'rsi_14',
      sets: {
        oversold: { type: 'triangular', parameters: [30, 30, 45] },
        neutral: { type: 'triangular', parameters: [35, 50, 65] },
        overbought: { type: 'triangular', parameters: [55, 70, 70] },
      },
    });
    assert.deepEqual(Object.keys(s.fuzzy_sets['macd_hist']!.sets), ['negative', 'neutral', 'positive']);
    assert.deepEqual(s.fuzzy_sets['macd_hist']!.sets['positive'], { type: 'trapezoidal', parameters: [0, 0.0003, 1, 1] });
    assert.deepEqual(s.nn_inputs, [
      { fuzzy_set: 'rsi_14', timeframes: ['1h', '4h'] },
      { fuzzy_set: 'macd_hist', timeframes: ['1h'] },
    ]);
    assert.deepEqual(s.decisions, {
      mode: 'neural',
      output_format: 'classification',
      confidence_threshold: 0.55,
      position_awareness: false,
      filters: { min_signal_separation: 3 },
      rules: { buy: ['rsi_14.oversold', '4h_rsi_14_oversold'], sell: ['rsi_14.overbought'] },
    });
    assert.deepEqual(s.training, {
      epochs: 30,
      batch_size: 256,
      learning_rate: 0.002,
      labels: { source: 'zigzag', zigzag_threshold: 0.004, label_lookahead: 15 },
      data_split: { train: 0.6, validation: 0.2, test: 0.2 },
      early_stopping: { patience: 5, min_delta: 0 },
    });
    assert.equal(s.indicators['rsi_14']!.type, 'rsi');
  });

  test('fills the documented defaults', () => {
    const s = validateStrategy({
      name: 'minimal',
      training_data: { symbols: { mode: 'single', symbol: 'EURUSD' }, timeframes: { mode: 'multi_timeframe', timeframes: ['4h', '1h'] } },
      indicators: { rsi_14: { type: 'rsi', period: 14 } },
      fuzzy_sets: { rsi_14: { low: [30, 30, 50], high: [50, 70, 70] } },
    });
    assert.equal(s.version, '3.0');
    assert.equal(s.description, '');
    assert.equal(s.training_data.history_required, 200);
    // base_timeframe defaults to the shortest timeframe, wherever it is listed
    assert.equal(s.training_data.timeframes.base_timeframe, '1h');
    // `indicator` defaults to the indicator with the fuzzy set's id
    assert.equal(s.fuzzy_sets['rsi_14']!.indicator, 'rsi_14');
    // nn_inputs defaults to every fuzzy set on every timeframe
    assert.deepEqual(s.nn_inputs, [{ fuzzy_set: 'rsi_14', timeframes: ['4h', '1h'] }]);
    assert.deepEqual(s.model, { type: 'mlp', architecture: { hidden_layers: [64, 32], activation: 'relu', dropout: 0.2 } });
    assert.deepEqual(s.decisions, {
      mode: 'neural',
      output_format: 'classification',
      confidence_threshold: 0.6,
      position_awareness: true,
      filters: { min_signal_separation: 4 },
    });
    assert.deepEqual(s.training, {
      epochs: 100,
      batch_size: 32,
      learning_rate: 0.001,
      labels: { source: 'zigzag', zigzag_threshold: 0.01, label_lookahead: 20 },
      data_split: { train: 0.7, validation: 0.15, test: 0.15 },
    });
  });

  test('the normalised output is valid input and round-trips through JSON unchanged', () => {
    const once = validateStrategy(baseDoc());
    const twice = validateStrategy(JSON.parse(JSON.stringify(once)));
    assert.deepEqual(twice, once);
    const multi = baseDoc();
    multi.training_data.symbols = { mode: 'multi_symbol', symbols: ['EURUSD', 'GBPUSD'] };
    const m1 = validateStrategy(multi);
    assert.deepEqual(validateStrategy(JSON.parse(JSON.stringify(m1))), m1);
  });

  test('accepts KTRDR v3 spellings: list:, model.training, output_activation, scope, method', () => {
    const doc = baseDoc();
    doc.scope = 'universal';
    doc.training_data.symbols = { mode: 'multi_symbol', list: ['EURUSD', 'GBPUSD'] };
    doc.training_data.timeframes = { mode: 'multi_timeframe', list: ['1h', '4h'], base_timeframe: '1h' };
    doc.model.architecture.output_activation = 'softmax';
    doc.model.features = { include_price_context: false };
    doc.model.training = { learning_rate: 0.005, batch_size: 64, epochs: 7, optimizer: 'adam', early_stopping: { enabled: true, patience: 9, min_delta: 0.001 } };
    delete doc.training.learning_rate;
    delete doc.training.batch_size;
    delete doc.training.epochs;
    delete doc.training.early_stopping;
    doc.training.method = 'supervised';
    const s = validateStrategy(doc);
    assert.deepEqual(s.training_data.symbols, { mode: 'multi_symbol', symbols: ['EURUSD', 'GBPUSD'] });
    assert.deepEqual(s.training_data.timeframes.timeframes, ['1h', '4h']);
    assert.equal(s.training.learning_rate, 0.005);
    assert.equal(s.training.batch_size, 64);
    assert.equal(s.training.epochs, 7);
    assert.deepEqual(s.training.early_stopping, { patience: 9, min_delta: 0.001 });
  });

  test('early_stopping.enabled: false means no early stopping; numeric version keeps its meaning', () => {
    const doc = baseDoc();
    doc.training.early_stopping = { enabled: false, patience: 3 };
    doc.version = 3;
    const s = validateStrategy(doc);
    assert.equal(s.training.early_stopping, undefined);
    assert.equal(s.version, '3.0');
  });

  test('a rules-mode strategy needs no model or training section', () => {
    const doc = baseDoc();
    doc.decisions = { mode: 'rules', rules: { buy: ['rsi_14.oversold'] } };
    delete doc.model;
    delete doc.training;
    const s = validateStrategy(doc);
    assert.equal(s.decisions.mode, 'rules');
    assert.deepEqual(s.decisions.rules, { buy: ['rsi_14.oversold'], sell: [] });
  });
});

describe('validateStrategy: every problem is reported at its path', () => {
  const cases: [string, (d: Record<string, any>) => void, string, RegExp][] = [
    ['unknown indicator reference (with suggestion)', (d) => (d.fuzzy_sets.rsi_14.indicator = 'rsi_41'), 'fuzzy_sets.rsi_14.indicator', /unknown indicator 'rsi_41' \(did you mean 'rsi_14'\?\)/],
    ['misspelt indicator parameter', (d) => (d.indicators.macd_12.peroid = 12), 'indicators.macd_12.peroid', /unknown parameter/],
    ['unknown indicator type', (d) => (d.indicators.rsi_14.type = 'rsx'), 'indicators.rsi_14.type', /unknown indicator type 'rsx'/],
    ['indicator entry not a mapping', (d) => (d.indicators.rsi_14 = 14), 'indicators.rsi_14', /expected a mapping/],
    ['indicator id with a dot', (d) => (d.indicators['rsi.7'] = { type: 'rsi', period: 7 }), 'indicators.rsi.7', /invalid indicator id/],
    ['multi-output indicator without .output', (d) => (d.fuzzy_sets.macd_hist.indicator = 'macd_12'), 'fuzzy_sets.macd_hist.indicator', /several outputs; write 'macd_12.<output>' with one of: macd, signal, histogram/],
    ['unknown indicator output', (d) => (d.fuzzy_sets.macd_hist.indicator = 'macd_12.histo'), 'fuzzy_sets.macd_hist.indicator', /no output 'histo'.*did you mean 'histogram'/],
    ['single-output indicator with a wrong output', (d) => (d.fuzzy_sets.rsi_14.indicator = 'rsi_14.k'), 'fuzzy_sets.rsi_14.indicator', /no output 'k'/],
    ['string where a number is expected', (d) => (d.training.epochs = 'ten'), 'training.epochs', /expected an integer, got a string \('ten'\)/],
    ['non-integer batch size', (d) => (d.training.batch_size = 12.5), 'training.batch_size', /expected an integer, got 12.5/],
    ['learning rate 0', (d) => (d.training.learning_rate = 0), 'training.learning_rate', /must be > 0/],
    ['data_split not summing to 1', (d) => (d.training.data_split = { train: 0.7, validation: 0.2, test: 0.2 }), 'training.data_split', /must sum to 1.*= 1\.1/],
    ['data_split part missing', (d) => delete d.training.data_split.test, 'training.data_split.test', /is required/],
    ['labels source', (d) => (d.training.labels.source = 'triple_barrier'), 'training.labels.source', /expected one of zigzag/],
    ['zigzag threshold ≥ 1', (d) => (d.training.labels.zigzag_threshold = 2), 'training.labels.zigzag_threshold', /< 1/],
    ['malformed timeframe (multi)', (d) => (d.training_data.timeframes.timeframes = ['1h', '4x']), 'training_data.timeframes.timeframes[1]', /invalid value '4x'/],
    ['malformed timeframe (single)', (d) => (d.training_data.timeframes = { mode: 'single', timeframe: 'hourly' }), 'training_data.timeframes.timeframe', /invalid value 'hourly'/],
    ['zero-length timeframe', (d) => (d.training_data.timeframes.timeframes = ['1h', '0h']), 'training_data.timeframes', /'0h' must have a positive length/],
    ['duplicate timeframe', (d) => (d.training_data.timeframes.timeframes = ['1h', '4h', '1h']), 'training_data.timeframes.timeframes[2]', /duplicate '1h'/],
    ['base_timeframe not among timeframes', (d) => (d.training_data.timeframes.base_timeframe = '15m'), 'training_data.timeframes.base_timeframe', /'15m' is not one of the strategy's timeframes \(1h, 4h\)/],
    ['unknown timeframes mode', (d) => (d.training_data.timeframes.mode = 'multi'), 'training_data.timeframes.mode', /expected one of single, multi_timeframe/],
    ['single symbol mode with two symbols', (d) => (d.training_data.symbols = { mode: 'single', symbols: ['EURUSD', 'GBPUSD'] }), 'training_data.symbols.symbols', /exactly one entry/],
    ['duplicate symbol', (d) => (d.training_data.symbols = { mode: 'multi_symbol', symbols: ['EURUSD', 'EURUSD'] }), 'training_data.symbols.symbols[1]', /duplicate 'EURUSD'/],
    ['unsafe symbol', (d) => (d.training_data.symbols.symbol = '../etc'), 'training_data.symbols.symbol', /invalid value/],
    ['negative history_required', (d) => (d.training_data.history_required = -1), 'training_data.history_required', /≥ 0/],
    ['nn_inputs unknown fuzzy set', (d) => (d.nn_inputs[1].fuzzy_set = 'macd_hst'), 'nn_inputs[1].fuzzy_set', /unknown fuzzy set 'macd_hst' \(did you mean 'macd_hist'\?\)/],
    ['nn_inputs unknown timeframe', (d) => (d.nn_inputs[1].timeframes = ['1d']), 'nn_inputs[1].timeframes[0]', /timeframe '1d' is not one of the strategy's timeframes/],
    ['nn_inputs timeframes neither all nor a list', (d) => (d.nn_inputs[0].timeframes = 'everything'), 'nn_inputs[0].timeframes', /expected 'all' or a list/],
    ['nn_inputs fuzzy set listed twice', (d) => d.nn_inputs.push({ fuzzy_set: 'rsi_14', timeframes: ['4h'] }), 'nn_inputs[2].fuzzy_set', /listed twice/],
    ['nn_inputs empty', (d) => (d.nn_inputs = []), 'nn_inputs', /non-empty list/],
    ['activation', (d) => (d.model.architecture.activation = 'relux'), 'model.architecture.activation', /expected one of relu, tanh, sigmoid, leaky_relu.*did you mean 'relu'/],
    ['dropout 1', (d) => (d.model.architecture.dropout = 1), 'model.architecture.dropout', /must be < 1, got 1/],
    ['negative dropout', (d) => (d.model.architecture.dropout = -0.1), 'model.architecture.dropout', /must be ≥ 0/],
    ['hidden layer of size 0', (d) => (d.model.architecture.hidden_layers = [64, 0]), 'model.architecture.hidden_layers[1]', /≥ 1/],
    ['no hidden layers', (d) => (d.model.architecture.hidden_layers = []), 'model.architecture.hidden_layers', /non-empty list/],
    ['model type', (d) => (d.model.type = 'lstm'), 'model.type', /expected one of mlp/],
    ['output activation', (d) => (d.model.architecture.output_activation = 'sigmoid'), 'model.architecture.output_activation', /softmax/],
    ['gaussian sigma 0', (d) => (d.fuzzy_sets.macd_hist.neutral.parameters = [0, 0]), 'fuzzy_sets.macd_hist.neutral.parameters', /sigma must be > 0/],
    ['gaussian with 3 parameters', (d) => (d.fuzzy_sets.macd_hist.neutral.parameters = [0, 1, 2]), 'fuzzy_sets.macd_hist.neutral.parameters', /gaussian membership needs 2 parameters, got 3/],
    ['triangular out of order', (d) => (d.fuzzy_sets.rsi_14.neutral = [50, 35, 65]), 'fuzzy_sets.rsi_14.neutral', /a ≤ b ≤ c/],
    ['triangular all equal', (d) => (d.fuzzy_sets.rsi_14.neutral = [50, 50, 50]), 'fuzzy_sets.rsi_14.neutral', /a < c/],
    ['trapezoidal out of order', (d) => (d.fuzzy_sets.macd_hist.positive.parameters = [0, 0.0003, 0.0002, 1]), 'fuzzy_sets.macd_hist.positive.parameters', /a ≤ b ≤ c ≤ d/],
    ['shorthand with 5 numbers', (d) => (d.fuzzy_sets.rsi_14.neutral = [1, 2, 3, 4, 5]), 'fuzzy_sets.rsi_14.neutral', /expected 3 numbers \(triangular\) or 4 numbers \(trapezoidal\), got 5/],
    ['non-number parameter', (d) => (d.fuzzy_sets.rsi_14.neutral = [35, 'x', 65]), 'fuzzy_sets.rsi_14.neutral[1]', /expected a number/],
    ['membership type misspelt', (d) => (d.fuzzy_sets.rsi_14.neutral = { type: 'triangle', parameters: [35, 50, 65] }), 'fuzzy_sets.rsi_14.neutral.type', /did you mean 'triangular'/],
    ['membership unknown key', (d) => (d.fuzzy_sets.rsi_14.neutral = { type: 'triangular', params: [35, 50, 65] }), 'fuzzy_sets.rsi_14.neutral.params', /unknown key.*did you mean 'parameters'/],
    ['membership as a string', (d) => (d.fuzzy_sets.rsi_14.neutral = '35,50,65'), 'fuzzy_sets.rsi_14.neutral', /expected a membership function/],
    ['fuzzy set without sets', (d) => (d.fuzzy_sets.rsi_14 = { indicator: 'rsi_14' }), 'fuzzy_sets.rsi_14', /at least one membership function/],
    ['fuzzy set without indicator', (d) => (d.fuzzy_sets.macd_hist = { low: [0, 0, 1] }), 'fuzzy_sets.macd_hist.indicator', /is required/],
    ['set name not an identifier', (d) => (d.fuzzy_sets.rsi_14['very-low'] = [0, 0, 10]), 'fuzzy_sets.rsi_14.very-low', /invalid set name/],
    ['inline sets and sets: together', (d) => (d.fuzzy_sets.rsi_14.sets = { low: [0, 0, 10] }), 'fuzzy_sets.rsi_14.sets', /either inline or under 'sets'/],
    ['decisions mode', (d) => (d.decisions.mode = 'fuzzy'), 'decisions.mode', /expected one of neural, rules/],
    ['confidence threshold > 1', (d) => (d.decisions.confidence_threshold = 1.5), 'decisions.confidence_threshold', /≤ 1/],
    ['position_awareness not boolean', (d) => (d.decisions.position_awareness = 'yes'), 'decisions.position_awareness', /expected true or false/],
    ['min_signal_separation negative', (d) => (d.decisions.filters.min_signal_separation = -2), 'decisions.filters.min_signal_separation', /≥ 0/],
    ['rules term: unknown fuzzy set', (d) => (d.decisions.rules.buy[0] = 'rsi_41.oversold'), 'decisions.rules.buy[0]', /unknown fuzzy set 'rsi_41'.*did you mean 'rsi_14'/],
    ['rules term: unknown set', (d) => (d.decisions.rules.sell[0] = 'rsi_14.overbougth'), 'decisions.rules.sell[0]', /no set 'overbougth'.*did you mean 'overbought'/],
    ['rules term: unknown feature', (d) => (d.decisions.rules.buy[1] = '4h_rsi_14_oversld'), 'decisions.rules.buy[1]', /unknown feature '4h_rsi_14_oversld'.*did you mean '4h_rsi_14_oversold'/],
    ['rules term: feature not built', (d) => (d.decisions.rules.buy[1] = '4h_macd_hist_positive'), 'decisions.rules.buy[1]', /feature '4h_macd_hist_positive' is not built: add fuzzy set 'macd_hist' on timeframe 4h to nn_inputs/],
    ['rules term: base feature not in nn_inputs', (d) => (d.nn_inputs[1].timeframes = ['4h'], d.decisions.rules.buy[1] = 'macd_hist.positive'), 'decisions.rules.buy[1]', /needs feature '1h_macd_hist_positive', which is not built/],
    ['rules term not a string', (d) => (d.decisions.rules.buy[1] = 5), 'decisions.rules.buy[1]', /expected a non-empty string/],
    ['rules mode without rules', (d) => (d.decisions.mode = 'rules', delete d.decisions.rules), 'decisions.rules', /is required when mode is 'rules'/],
    ['rules with no terms at all', (d) => (d.decisions.rules = { buy: [], sell: [] }), 'decisions.rules', /at least one term/],
    ['rules unknown key', (d) => (d.decisions.rules.hold = ['rsi_14.neutral']), 'decisions.rules.hold', /unknown key/],
    ['unknown top-level key (with suggestion)', (d) => (d.trainning = d.training), 'trainning', /unknown key \(did you mean 'training'( or 'trading')?\?\)/],
    ['missing name', (d) => delete d.name, 'name', /is required/],
    ['name with a slash', (d) => (d.name = 'a/b'), 'name', /invalid value 'a\/b'/],
    ['missing training_data', (d) => delete d.training_data, 'training_data', /is required/],
    ['missing indicators', (d) => delete d.indicators, 'indicators', /is required/],
    ['fuzzy_sets a list', (d) => (d.fuzzy_sets = []), 'fuzzy_sets', /expected a mapping, got a list/],
  ];
  for (const [title, mutate, path, message] of cases) {
    test(title, () => {
      const doc = baseDoc();
      mutate(doc);
      expectIssue(doc, path, message);
    });
  }

  test('the unbroken fixture is valid (so every case above fails for its own reason)', () => {
    assert.doesNotThrow(() => validateStrategy(baseDoc()));
  });

  test('reports all issues at once, one per line in the message', () => {
    const doc = baseDoc();
    doc.fuzzy_sets.rsi_14.indicator = 'rsi_41';
    doc.model.architecture.dropout = 2;
    doc.training.data_split.train = 0.5;
    try {
      validateStrategy(doc, 'broken.yaml');
      assert.fail('expected failure');
    } catch (err) {
      assert.ok(err instanceof StrategyValidationError);
      assert.deepEqual(err.issues.map((i) => i.path).sort(), ['fuzzy_sets.rsi_14.indicator', 'model.architecture.dropout', 'training.data_split'].sort());
      const lines = err.message.split('\n');
      assert.match(lines[0]!, /invalid strategy 'broken.yaml' \(3 issues\)/);
      assert.equal(lines.length, 4);
      assert.ok(lines.some((l) => l.includes('fuzzy_sets.rsi_14.indicator: unknown indicator')));
      assert.equal(err.source, 'broken.yaml');
    }
  });

  test('a broken indicator is not reported again as unknown where it is referenced', () => {
    const doc = baseDoc();
    doc.indicators.rsi_14.type = 'rsx';
    const issues = issuesOf(doc);
    assert.deepEqual(issues.map((i) => i.path), ['indicators.rsi_14.type']);
  });

  test('non-mapping documents', () => {
    expectIssue(null, '', /is required/);
    expectIssue([1, 2], '', /expected a mapping, got a list/);
    expectIssue('name: x', '', /expected a mapping, got a string/);
  });
});
