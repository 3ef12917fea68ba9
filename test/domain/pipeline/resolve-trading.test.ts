import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assetClassOf } from '../../../src/domain/backtest/asset-class-costs.js';
import { resolveTrading } from '../../../src/domain/pipeline/resolve-trading.js';
import { StrategyValidationError } from '../../../src/domain/strategy/strategy-validation-error.js';
import { validateStrategy } from '../../../src/domain/strategy/validate-strategy.js';

function strategy(trading?: unknown) {
  return validateStrategy({
    name: 's',
    training_data: { symbols: { mode: 'single', symbol: 'EURUSD' }, timeframes: { mode: 'single', timeframe: '1h' } },
    indicators: { rsi_14: { type: 'rsi', period: 14 } },
    fuzzy_sets: { rsi_14: { indicator: 'rsi_14', low: [0, 0, 50], high: [50, 100, 100] } },
    nn_inputs: [{ fuzzy_set: 'rsi_14' }],
    ...(trading === undefined ? {} : { trading }),
  });
}
const near = (a: number, b: number, m: string) => assert.ok(Math.abs(a - b) < 1e-12, `${m}: ${a} vs ${b}`);

test('asset class of a symbol', () => {
  assert.equal(assetClassOf('EURUSD'), 'fx');
  assert.equal(assetClassOf('usd/jpy'), 'fx');
  assert.equal(assetClassOf('AAPL'), 'equity');
  assert.equal(assetClassOf('SP500'), 'equity');
  assert.equal(assetClassOf('BTCUSDT'), 'crypto');
});

test('defaults: long-only, close on opposite, asset-class costs printed with their source', () => {
  const s = strategy();
  assert.deepEqual(s.trading, { allow_short: false, on_opposite_signal: 'close', position_size: { fraction: 0.25 }, maintenance_margin: 0.25 });
  const fx = resolveTrading(s, 'EURUSD');
  near(fx.config.commission, 0.3e-4, 'fx commission 0.3 bp');
  near(fx.config.slippagePrice, 0.5 * 0.0001, 'fx slippage half a pip');
  assert.equal(fx.config.slippage, 0);
  assert.equal(fx.costs.asset_class, 'fx');
  assert.deepEqual(fx.costs.sources, { commission: 'default', slippage: 'default', fee_per_trade: 'default' });
  const jpy = resolveTrading(s, 'USDJPY');
  near(jpy.costs.slippage_price, 0.005, 'JPY pip is 0.01');
  const eq = resolveTrading(s, 'AAPL');
  near(eq.config.commission, 1e-4, 'equity 1 bp');
  near(eq.config.slippage, 2e-4, 'equity 2 bps');
  assert.equal(eq.config.minSignalSeparation, 4, 'decisions.filters.min_signal_separation (bars) when trading has none');
  assert.equal(eq.config.allowShort, false);
  assert.equal(eq.config.onOppositeSignal, 'close');
});

test('per-symbol costs win over strategy costs, which win over defaults; the request wins over all', () => {
  const s = strategy({
    allow_short: true,
    on_opposite_signal: 'reverse',
    position_size: { units: 1000 },
    min_signal_separation: '4h',
    costs: { commission_bps: 2, slippage_bps: 1, fee_per_trade: 1, symbols: { gbpusd: { slippage_pips: 0.8, commission_bps: 0 } } },
  });
  const eur = resolveTrading(s, 'EURUSD');
  near(eur.config.commission, 2e-4, 'strategy commission');
  near(eur.config.slippage, 1e-4, 'strategy slippage bps');
  assert.equal(eur.config.slippagePrice, 0, 'strategy slippage replaces the default pips');
  assert.equal(eur.config.feePerTrade, 1);
  assert.equal(eur.costs.sources.commission, 'strategy');
  const gbp = resolveTrading(s, 'GBPUSD');
  assert.equal(gbp.config.commission, 0);
  near(gbp.config.slippagePrice, 0.8e-4, 'per-symbol pips');
  assert.equal(gbp.config.slippage, 0);
  assert.equal(gbp.costs.sources.slippage, 'strategy:symbol');
  assert.equal(gbp.config.allowShort, true);
  assert.equal(gbp.config.onOppositeSignal, 'reverse');
  assert.deepEqual([gbp.config.positionSizing, gbp.config.positionSize], ['units', 1000]);
  assert.deepEqual([gbp.config.minSignalSeparation, gbp.config.minSignalSeparationMs], [0, 4 * 3_600_000]);
  const req = resolveTrading(s, 'GBPUSD', { commission: 0.0005, slippage: 0.0001, allow_short: false, position_size: 0.5, min_signal_separation: '6 bars' });
  assert.equal(req.config.commission, 0.0005);
  assert.equal(req.config.slippagePrice, 0);
  assert.equal(req.costs.sources.commission, 'request');
  assert.equal(req.config.allowShort, false);
  assert.deepEqual([req.config.positionSizing, req.config.positionSize], ['fraction', 0.5]);
  assert.deepEqual([req.config.minSignalSeparation, req.config.minSignalSeparationMs], [6, 0]);
});

test('the trading block is validated with the field named, and its normal form re-validates', () => {
  const issues = (trading: unknown) => {
    try {
      strategy(trading);
      return [];
    } catch (e) {
      assert.ok(e instanceof StrategyValidationError);
      return e.issues.map((i) => `${i.path}: ${i.message}`);
    }
  };
  assert.match(issues({ on_opposite_signal: 'flip' }).join('\n'), /trading\.on_opposite_signal: expected one of close, reverse/);
  assert.match(issues({ position_size: 2 }).join('\n'), /trading\.position_size: must be ≤ 1/);
  assert.match(issues({ min_signal_separation: '4 hours' }).join('\n'), /trading\.min_signal_separation: expected a number of bars/);
  assert.match(issues({ costs: { comission_bps: 1 } }).join('\n'), /trading\.costs\.comission_bps: unknown key \(did you mean 'commission_bps'\?\)/);
  assert.match(issues({ costs: { symbols: { EURUSD: { pip_size: 0 } } } }).join('\n'), /trading\.costs\.symbols\.EURUSD\.pip_size: must be > 0/);
  const s = strategy({ min_signal_separation: 6, position_size: 0.5, costs: { symbols: { EURUSD: { slippage_pips: 1 } } } });
  assert.deepEqual(s.trading.min_signal_separation, { bars: 6 });
  assert.deepEqual(validateStrategy(JSON.parse(JSON.stringify(s))).trading, s.trading);
});
