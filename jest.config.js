// Every jest suite of the repo; scripts/test.sh selects them with --selectProjects.
module.exports = {
  projects: [
    '<rootDir>/common',
    '<rootDir>/auth',
    '<rootDir>/tickets',
    '<rootDir>/orders',
    '<rootDir>/payments',
    '<rootDir>/expiration',
    '<rootDir>/client',
    '<rootDir>/integration',
    '<rootDir>/chaos',
  ],
};
