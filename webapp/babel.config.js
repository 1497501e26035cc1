// Babel only strips TypeScript and compiles JSX: the host browsers Mattermost supports
// run ES2022 as written. Jest additionally needs CommonJS modules.
module.exports = (api) => {
    const isTest = api.env('test');

    return {
        presets: [
            '@babel/preset-typescript',

            // Classic runtime: JSX compiles to React.createElement against the host page's
            // React (an external), instead of bundling react/jsx-runtime.
            ['@babel/preset-react', {runtime: 'classic'}],
        ],
        plugins: isTest ? ['@babel/plugin-transform-modules-commonjs'] : [],
    };
};
