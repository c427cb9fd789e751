import { errorsFromBody, parseRetryAfter, splitErrors } from '../errors';

describe('errorsFromBody', () => {
  it('when the body has the API error shape, then returns its entries', () => {
    expect(errorsFromBody({ errors: [{ message: 'Title is required', field: 'title' }, { message: 'Not authorized' }] })).toEqual([
      { message: 'Title is required', field: 'title' },
      { message: 'Not authorized' },
    ]);
  });

  it('when the body is anything else, then returns null', () => {
    for (const body of [undefined, null, 'Bad Gateway', {}, { errors: [] }, { errors: 'x' }, { errors: [{ msg: 'x' }] }]) {
      expect(errorsFromBody(body)).toBeNull();
    }
  });
});

describe('splitErrors', () => {
  const errors = [
    { message: 'Title is required', field: 'title' },
    { message: 'Price must be greater than 0', field: 'price' },
    { message: 'TicketId must be provided', field: 'ticketId' },
    { message: 'Not authorized' },
  ];

  it('when an error names a field of the form, then it goes next to that field', () => {
    const { byField } = splitErrors(errors, ['title', 'price']);
    expect(byField).toEqual({ title: ['Title is required'], price: ['Price must be greater than 0'] });
  });

  it('when an error names no field, or a field the form does not have, then it goes to the alert', () => {
    const { general } = splitErrors(errors, ['title', 'price']);
    expect(general).toEqual(['TicketId must be provided', 'Not authorized']);
  });
});

describe('parseRetryAfter', () => {
  it('when the header holds seconds or an HTTP date, then returns the seconds to wait', () => {
    expect(parseRetryAfter('5')).toBe(5);
    const now = Date.parse('2030-01-01T12:00:00Z');
    expect(parseRetryAfter('Tue, 01 Jan 2030 12:00:30 GMT', now)).toBe(30);
  });

  it('when the header is absent or unreadable, then returns undefined', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
