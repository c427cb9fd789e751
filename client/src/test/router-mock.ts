// next/navigation's router for component tests: records where the component navigates.
export const router = {
  push: jest.fn(),
  replace: jest.fn(),
  refresh: jest.fn(),
  back: jest.fn(),
  forward: jest.fn(),
  prefetch: jest.fn(),
};

export function resetRouter() {
  for (const fn of Object.values(router)) fn.mockReset();
}
