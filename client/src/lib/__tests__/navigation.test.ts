import { safeNextPath } from '../navigation';

describe('safeNextPath', () => {
  it('when next is a path of this site, then it is kept', () => {
    expect(safeNextPath('/orders')).toBe('/orders');
    expect(safeNextPath('/tickets/abc?x=1')).toBe('/tickets/abc?x=1');
  });

  it.each([undefined, '', 'orders', '//evil.example', '/\\evil.example', 'https://evil.example', ['/a', '/b']])(
    'when next is %p, then the landing page is used',
    (next) => {
      expect(safeNextPath(next)).toBe('/');
    },
  );
});
