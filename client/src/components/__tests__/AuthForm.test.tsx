import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { mockFetch } from '../../test/fetch-mock';
import { resetRouter, router } from '../../test/router-mock';
import { AuthForm } from '../AuthForm';

jest.mock('next/navigation', () => ({ useRouter: () => jest.requireActual('../../test/router-mock').router }));

function fillIn(email: string, password: string) {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
}

beforeEach(resetRouter);

describe('AuthForm', () => {
  it('when the password is wrong, then "Invalid credentials" is one alert and the form keeps what was typed', async () => {
    mockFetch({ status: 400, body: { errors: [{ message: 'Invalid credentials' }] } });
    render(<AuthForm mode="signin" next="/" />);
    fillIn('buyer@example.com', 'wrong-password');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    });
    expect(screen.getByRole('alert').textContent).toBe('Invalid credentials');
    expect((screen.getByLabelText('Email') as HTMLInputElement).value).toBe('buyer@example.com');
    expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe('wrong-password');
    expect(router.push).not.toHaveBeenCalled();
  });

  it('when sign-up fields are rejected, then each message is under its field', async () => {
    mockFetch({
      status: 400,
      body: {
        errors: [
          { message: 'Email must be valid', field: 'email' },
          { message: 'Password must be between 8 and 128 characters', field: 'password' },
        ],
      },
    });
    render(<AuthForm mode="signup" next="/" />);
    fillIn('nope', 'short');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    });
    expect(document.getElementById('field-email-error')?.textContent).toBe('Email must be valid');
    expect(document.getElementById('field-password-error')?.textContent).toBe('Password must be between 8 and 128 characters');
  });

  it('when sign-in succeeds, then goes to `next` and refreshes so the server renders the signed-in header', async () => {
    const { sent } = mockFetch({ status: 200, body: { id: 'u1', email: 'buyer@example.com' } });
    render(<AuthForm mode="signin" next="/tickets/t1" />);
    fillIn('buyer@example.com', 'password123');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(router.refresh).toHaveBeenCalled());
    expect(router.push).toHaveBeenCalledWith('/tickets/t1');
    expect(sent).toEqual([{ url: '/api/users/signin', method: 'POST', body: { email: 'buyer@example.com', password: 'password123' } }]);
  });
});
