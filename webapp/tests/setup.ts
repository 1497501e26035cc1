import '@testing-library/jest-dom';

// The Mattermost webapp defines window.registerPlugin before it loads a plugin bundle;
// src/index.tsx calls it when imported.
window.registerPlugin = jest.fn();
