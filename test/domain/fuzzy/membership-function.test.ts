import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  evaluateMembership,
  gaussianMembership,
  membershipArray,
  membershipParameterProblem,
  trapezoidalMembership,
  triangularMembership,
  type MembershipFunctionSpec,
} from '../../../src/domain/fuzzy/membership-function.js';

const close = (actual: number, expected: number, eps = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected}, got ${actual}`);
};

describe('triangularMembership', () => {
  test('[20, 50, 80]: zero at and beyond the feet, linear edges, 1 at the peak', () => {
    // Hand-computed: rising edge (x-20)/30, falling edge (80-x)/30.
    const cases: [number, number][] = [
      [-1e9, 0], [0, 0], [20, 0], [35, 0.5], [44, 0.8], [50, 1], [65, 0.5], [71, 0.3], [80, 0], [100, 0],
    ];
    for (const [x, m] of cases) close(triangularMembership(x, 20, 50, 80), m);
  });

  test('a == b is a left shoulder: 1 for every x ≤ b', () => {
    for (const x of [-Infinity, -1000, 0, 29.999, 30]) assert.equal(triangularMembership(x, 30, 30, 40), 1, `x=${x}`);
    close(triangularMembership(35, 30, 30, 40), 0.5);
    close(triangularMembership(37.5, 30, 30, 40), 0.25);
    assert.equal(triangularMembership(40, 30, 30, 40), 0);
    assert.equal(triangularMembership(1000, 30, 30, 40), 0);
  });

  test('b == c is a right shoulder: 1 for every x ≥ b', () => {
    for (const x of [70, 70.001, 100, 1e12, Infinity]) assert.equal(triangularMembership(x, 60, 70, 70), 1, `x=${x}`);
    close(triangularMembership(65, 60, 70, 70), 0.5);
    close(triangularMembership(62, 60, 70, 70), 0.2);
    assert.equal(triangularMembership(60, 60, 70, 70), 0);
    assert.equal(triangularMembership(-5, 60, 70, 70), 0);
  });

  test('NaN in gives NaN out', () => {
    assert.ok(Number.isNaN(triangularMembership(NaN, 0, 1, 2)));
    assert.ok(Number.isNaN(triangularMembership(NaN, 0, 0, 2)));
    assert.ok(Number.isNaN(triangularMembership(NaN, 0, 2, 2)));
  });
});

describe('trapezoidalMembership', () => {
  test('[0, 10, 20, 40]: edges and plateau', () => {
    const cases: [number, number][] = [
      [-3, 0], [0, 0], [2.5, 0.25], [5, 0.5], [10, 1], [15, 1], [20, 1], [25, 0.75], [30, 0.5], [39, 0.05], [40, 0], [41, 0],
    ];
    for (const [x, m] of cases) close(trapezoidalMembership(x, 0, 10, 20, 40), m);
  });

  test('a == b: 1 for every x ≤ c; c == d: 1 for every x ≥ b', () => {
    assert.equal(trapezoidalMembership(-1e6, 0, 0, 10, 20), 1);
    assert.equal(trapezoidalMembership(10, 0, 0, 10, 20), 1);
    close(trapezoidalMembership(12, 0, 0, 10, 20), 0.8);
    assert.equal(trapezoidalMembership(20, 0, 0, 10, 20), 0);
    assert.equal(trapezoidalMembership(1e6, 0, 10, 20, 20), 1);
    assert.equal(trapezoidalMembership(10, 0, 10, 20, 20), 1);
    close(trapezoidalMembership(4, 0, 10, 20, 20), 0.4);
    assert.equal(trapezoidalMembership(0, 0, 10, 20, 20), 0);
  });

  test('NaN in gives NaN out', () => {
    assert.ok(Number.isNaN(trapezoidalMembership(NaN, 0, 1, 2, 3)));
  });
});

describe('gaussianMembership', () => {
  test('hand-computed points of exp(-((x-mean)/sigma)^2 / 2)', () => {
    close(gaussianMembership(50, 50, 10), 1);
    close(gaussianMembership(60, 50, 10), 0.6065306597126334); // e^-0.5
    close(gaussianMembership(40, 50, 10), 0.6065306597126334);
    close(gaussianMembership(70, 50, 10), 0.1353352832366127); // e^-2
    close(gaussianMembership(0, 50, 10), Math.exp(-12.5));
    assert.ok(Number.isNaN(gaussianMembership(NaN, 50, 10)));
  });
});

describe('membershipArray', () => {
  const specs: MembershipFunctionSpec[] = [
    { type: 'triangular', parameters: [20, 50, 80] },
    { type: 'triangular', parameters: [0, 0, 30] },
    { type: 'triangular', parameters: [70, 100, 100] },
    { type: 'trapezoidal', parameters: [0, 10, 20, 40] },
    { type: 'trapezoidal', parameters: [-5, -5, 0, 5] },
    { type: 'trapezoidal', parameters: [-5, 0, 5, 5] },
    { type: 'gaussian', parameters: [-0.0003, 0.0002] },
  ];
  const xs = Float64Array.from([-Infinity, -1e9, -10, -5, -0.0005, -0.0003, 0, 2.5, 5, 10, 15, 20, 29, 30, 35, 50, 64, 70, 85, 100, 1e9, Infinity, NaN]);

  test('matches the scalar functions element by element, NaN passing through', () => {
    for (const spec of specs) {
      const out = membershipArray(spec, xs);
      assert.ok(out instanceof Float64Array);
      xs.forEach((x, i) => {
        const expected = evaluateMembership(spec, x);
        if (Number.isNaN(expected)) assert.ok(Number.isNaN(out[i]), `${spec.type} ${spec.parameters.join(',')} x=${x}`);
        else assert.equal(out[i], expected, `${spec.type} ${spec.parameters.join(',')} x=${x}`);
      });
    }
  });

  test('writes into a provided Float32Array', () => {
    const out = new Float32Array(3);
    const returned = membershipArray({ type: 'triangular', parameters: [0, 10, 20] }, Float64Array.from([5, NaN, 15]), out);
    assert.equal(returned, out);
    assert.deepEqual([...out].map((v) => (Number.isNaN(v) ? 'NaN' : v)), [0.5, 'NaN', 0.5]);
  });

  test('rejects an output buffer shorter than the input', () => {
    assert.throws(() => membershipArray({ type: 'gaussian', parameters: [0, 1] }, new Float64Array(4), new Float64Array(3)), RangeError);
  });
});

describe('membershipParameterProblem', () => {
  test('accepts valid parameters', () => {
    assert.equal(membershipParameterProblem('triangular', [0, 0, 30]), undefined);
    assert.equal(membershipParameterProblem('trapezoidal', [1, 2, 2, 3]), undefined);
    assert.equal(membershipParameterProblem('gaussian', [0, 0.5]), undefined);
  });
  test('rejects wrong counts, ordering, degenerate shapes and sigma ≤ 0', () => {
    assert.match(membershipParameterProblem('triangular', [1, 2]) ?? '', /needs 3 parameters, got 2/);
    assert.match(membershipParameterProblem('triangular', [10, 5, 20]) ?? '', /a ≤ b ≤ c/);
    assert.match(membershipParameterProblem('triangular', [5, 5, 5]) ?? '', /a < c/);
    assert.match(membershipParameterProblem('trapezoidal', [0, 3, 2, 4]) ?? '', /a ≤ b ≤ c ≤ d/);
    assert.match(membershipParameterProblem('gaussian', [0, 0]) ?? '', /sigma must be > 0/);
    assert.match(membershipParameterProblem('gaussian', [0, -1]) ?? '', /sigma must be > 0/);
    assert.match(membershipParameterProblem('gaussian', [0, Infinity]) ?? '', /finite/);
  });
});
