import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { mockFetch } from '../../test/fetch-mock';
import { resetRouter, router } from '../../test/router-mock';
import { TicketForm } from '../TicketForm';

jest.mock('next/navigation', () => ({ useRouter: () => jest.requireActual('../../test/router-mock').router }));

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}
const valueOf = (label: string) => (screen.getByLabelText(label) as HTMLInputElement).value;

beforeEach(resetRouter);

describe('TicketForm', () => {
  it('when the price field loses focus, then the price shows two decimals', () => {
    render(<TicketForm />);
    fill('Price ($)', '20.5');
    fireEvent.blur(screen.getByLabelText('Price ($)'));
    expect(valueOf('Price ($)')).toBe('20.50');
  });

  it('when the ticket is listed, then it posts title and price as a number and opens the ticket', async () => {
    const { sent } = mockFetch({ status: 201, body: { id: 't1', title: 'Concert', price: 20.5, userId: 'u1', version: 0 } });
    render(<TicketForm />);
    fill('Title', 'Concert');
    fill('Price ($)', '20.50');
    fireEvent.click(screen.getByRole('button', { name: 'List ticket' }));
    await waitFor(() => expect(router.push).toHaveBeenCalledWith('/tickets/t1'));
    expect(sent).toEqual([{ url: '/api/tickets', method: 'POST', body: { title: 'Concert', price: 20.5 } }]);
  });

  it('when the API rejects fields, then each message is under its field and the form keeps what was typed', async () => {
    mockFetch({
      status: 400,
      body: {
        errors: [
          { message: 'Title is required', field: 'title' },
          { message: 'Price must be greater than 0', field: 'price' },
        ],
      },
    });
    render(<TicketForm />);
    fill('Title', '   ');
    fill('Price ($)', '-3');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'List ticket' }));
    });
    expect(document.getElementById('field-title-error')?.textContent).toBe('Title is required');
    expect(document.getElementById('field-price-error')?.textContent).toBe('Price must be greater than 0');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(valueOf('Title')).toBe('   ');
    expect(valueOf('Price ($)')).toBe('-3');
    expect(router.push).not.toHaveBeenCalled();
    expect((screen.getByRole('button', { name: 'List ticket' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('when the API answers an error without a field, then it is one alert in the API words', async () => {
    mockFetch({ status: 400, body: { errors: [{ message: 'Cannot edit a reserved ticket' }] } });
    render(<TicketForm ticket={{ id: 't1', title: 'Concert', price: 20 }} />);
    expect(valueOf('Price ($)')).toBe('20.00');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    });
    expect(screen.getByRole('alert').textContent).toBe('Cannot edit a reserved ticket');
    expect(valueOf('Title')).toBe('Concert');
  });

  it('when editing, then it PUTs to the ticket', async () => {
    const { sent } = mockFetch({ status: 200, body: { id: 't1', title: 'Opera', price: 30, userId: 'u1', version: 1 } });
    render(<TicketForm ticket={{ id: 't1', title: 'Concert', price: 20 }} />);
    fill('Title', 'Opera');
    fill('Price ($)', '30');
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(router.push).toHaveBeenCalledWith('/tickets/t1'));
    expect(sent).toEqual([{ url: '/api/tickets/t1', method: 'PUT', body: { title: 'Opera', price: 30 } }]);
  });

  it('when the price is out of the API range, then its field error is under the price, next to the accepted range', async () => {
    const { sent } = mockFetch({ status: 400, body: { errors: [{ message: 'Price must be between 0.50 and 999999.99', field: 'price' }] } });
    render(<TicketForm />);
    fill('Title', 'Concert');
    fill('Price ($)', '1,000,000');
    fireEvent.blur(screen.getByLabelText('Price ($)'));
    expect(valueOf('Price ($)')).toBe('1000000.00');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'List ticket' }));
    });
    expect(sent[0].body).toEqual({ title: 'Concert', price: 1000000 });
    expect(document.getElementById('field-price-error')?.textContent).toBe('Price must be between 0.50 and 999999.99');
    expect(screen.getByLabelText('Price ($)').getAttribute('aria-describedby')).toBe('field-price-error field-price-hint');
    expect(document.getElementById('field-price-hint')?.textContent).toBe('From $0.50 to $999,999.99');
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
