import { formatCents, formatOrderStatus, formatPrice, formatRemaining, normalizePriceInput, parsePriceInput } from '../format';

describe('formatPrice', () => {
  it('when given dollars, then shows them with two decimals', () => {
    expect(formatPrice(20)).toBe('$20.00');
    expect(formatPrice(20.5)).toBe('$20.50');
    expect(formatPrice(0.1 + 0.2)).toBe('$0.30');
  });
});

describe('normalizePriceInput (the price field on blur)', () => {
  it.each([
    ['20', '20.00'],
    ['20.5', '20.50'],
    [' 7.129 ', '7.13'],
    ['.5', '0.50'],
    ['5.', '5.00'],
    ['999,999.99', '999999.99'],
    ['1,000', '1000.00'],
  ])('when the field holds %p, then it shows %p', (typed, shown) => {
    expect(normalizePriceInput(typed)).toBe(shown);
  });

  it.each(['', 'abc', '-5', '1e3', '12,50', '1.2.3'])('when the field holds %p (not a plain amount), then it is left as typed', (typed) => {
    expect(normalizePriceInput(typed)).toBe(typed);
  });
});

describe('parsePriceInput (the price sent to the API)', () => {
  it('when the field holds a number, then sends that number', () => {
    expect(parsePriceInput('20.50')).toBe(20.5);
  });

  it('when the field holds an amount with thousands separators, then sends the number', () => {
    expect(parsePriceInput('999,999.99')).toBe(999999.99);
    expect(parsePriceInput('12,50')).toBe('12,50');
  });

  it('when the field holds no number, then sends the text as is, for the API to reject in its words', () => {
    expect(parsePriceInput('abc')).toBe('abc');
    expect(parsePriceInput('')).toBe('');
  });
});

describe('formatRemaining', () => {
  it('when minutes are left, then shows minutes and seconds', () => {
    expect(formatRemaining((9 * 60 + 58) * 1000)).toBe('9 m 58 s');
    expect(formatRemaining(15 * 60 * 1000)).toBe('15 m 0 s');
  });

  it('when under a minute is left, then shows seconds only', () => {
    expect(formatRemaining(42_000)).toBe('42 s');
  });

  it('when a fraction of a second is left, then rounds up (never "0 s left")', () => {
    expect(formatRemaining(1)).toBe('1 s');
    expect(formatRemaining(59_001)).toBe('1 m 0 s');
  });
});

describe('formatOrderStatus', () => {
  it('when given an API status, then names it for people; unknown ones pass through', () => {
    expect(formatOrderStatus('created')).toBe('Awaiting payment');
    expect(formatOrderStatus('awaiting:payment')).toBe('Awaiting payment');
    expect(formatOrderStatus('complete')).toBe('Complete');
    expect(formatOrderStatus('cancelled')).toBe('Cancelled');
    expect(formatOrderStatus('refunded')).toBe('refunded');
  });
});

describe('formatCents', () => {
  it('when given integer cents (a refund amount), then shows dollars with two decimals', () => {
    expect(formatCents(2050)).toBe('$20.50');
    expect(formatCents(50)).toBe('$0.50');
    expect(formatCents(99999999)).toBe('$999999.99');
  });
});
