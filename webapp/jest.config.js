module.exports = {
    testEnvironment: 'jsdom',
    roots: ['<rootDir>/src'],
    testMatch: ['**/*.test.ts?(x)'],

    // Absolute imports (`manifest`, `components/...`) resolve from src, as in webpack.
    modulePaths: ['<rootDir>/src'],
    setupFilesAfterEnv: ['<rootDir>/tests/setup.ts'],
};
