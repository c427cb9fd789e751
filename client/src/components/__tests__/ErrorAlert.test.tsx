import { render, screen } from '@testing-library/react';
import { ErrorAlert } from '../ErrorAlert';
import { TextField } from '../TextField';

describe('ErrorAlert', () => {
  it('when there are no messages, then renders nothing', () => {
    const { container } = render(<ErrorAlert messages={[]} />);
    expect(container.innerHTML).toBe('');
  });

  it('when there is one message, then shows it as one alert, verbatim', () => {
    render(<ErrorAlert messages={['Ticket is already reserved']} />);
    expect(screen.getByRole('alert').textContent).toBe('Ticket is already reserved');
  });

  it('when there are several messages, then shows them as a list in one alert', () => {
    render(<ErrorAlert messages={['First', 'Second']} />);
    expect(screen.getAllByRole('alert')).toHaveLength(1);
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['First', 'Second']);
  });
});

describe('TextField', () => {
  it('when the field has errors, then it is marked invalid and described by its messages', () => {
    render(<TextField name="title" label="Title" value="" onChange={() => {}} errors={['Title is required']} />);
    const input = screen.getByLabelText('Title');
    expect(input.className).toContain('is-invalid');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const described = document.getElementById(input.getAttribute('aria-describedby')!);
    expect(described?.textContent).toBe('Title is required');
  });

  it('when the field has no errors, then it is not marked invalid', () => {
    render(<TextField name="title" label="Title" value="" onChange={() => {}} />);
    const input = screen.getByLabelText('Title');
    expect(input.className).not.toContain('is-invalid');
    expect(input.hasAttribute('aria-describedby')).toBe(false);
  });
});
