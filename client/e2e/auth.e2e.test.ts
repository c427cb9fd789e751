import { errorAlert, openContext, PASSWORD, screenshots, signedUpUser, useBrowser } from './support';

const shot = screenshots(__filename);
const browser = useBrowser();

test('when the password is wrong, then the sign-in form says "Invalid credentials" and keeps the email', async () => {
  const { email, context } = await signedUpUser(browser(), 'forgetful');
  await context.clearCookies();
  const page = await context.newPage();

  await page.goto('/auth/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = errorAlert(page);
  await alert.waitFor();
  expect(await alert.innerText()).toBe('Invalid credentials');
  expect(await page.getByLabel('Email').inputValue()).toBe(email);
  expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  await shot(page, 'signin-invalid-credentials');

  // With the right password the header switches to the signed-in links.
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  expect(await page.getByTestId('current-user').innerText()).toBe(email);
  await context.close();
});

test('when a signed-in user loads a page, then the server already renders the signed-in header (no flash)', async () => {
  const { email, context } = await signedUpUser(browser(), 'returning');
  // Without JavaScript, whatever shows is the server's HTML alone.
  const noScript = await openContext(browser(), { javaScriptEnabled: false, storageState: await context.storageState() });
  const page = await noScript.newPage();
  await page.goto('/');
  const nav = page.getByRole('navigation');
  expect(await nav.getByText(email).count()).toBe(1);
  expect(await nav.getByRole('link', { name: 'My orders' }).count()).toBe(1);
  expect(await nav.getByRole('link', { name: 'Sell tickets' }).count()).toBe(1);
  expect(await nav.getByRole('link', { name: 'Sign in' }).count()).toBe(0);
  await shot(page, 'landing-server-html-signed-in');
  await noScript.close();
  await context.close();
});

test('when the user signs out, then the header shows Sign up and Sign in again', async () => {
  const { page, context } = await signedUpUser(browser(), 'leaving');
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('link', { name: 'Sign in' }).waitFor();
  expect(await page.getByRole('link', { name: 'Sign up' }).count()).toBe(1);
  expect(await page.getByRole('link', { name: 'My orders' }).count()).toBe(0);
  await shot(page, 'landing-signed-out');

  // The session is really gone: a protected page sends us to sign in.
  await page.goto('/orders');
  await page.waitForURL(/\/auth\/signin\?next=%2Forders$/);
  await context.close();
});
