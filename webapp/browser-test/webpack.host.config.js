// Bundles the browser-test host page (host.tsx) into browser-test/dist/host.js. It is a
// separate build from the plugin's (../webpack.config.js): the host BUNDLES React, ReactDOM,
// Redux, ReactRedux and PropTypes and puts them on window, as the Mattermost webapp does
// for the plugin bundle's externals.
//
//   npx webpack --config browser-test/webpack.host.config.js     (from webapp/)
//
// Development mode by default so React reports plugin mistakes (keys, invalid props,
// updates during render) on the console, where the test fails on them;
// HOST_MODE=production builds the host the way Mattermost ships.
const path = require('path');

module.exports = {
    mode: process.env.HOST_MODE === 'production' ? 'production' : 'development',
    context: __dirname,
    entry: './host.tsx',
    devtool: 'source-map',
    resolve: {
        extensions: ['.tsx', '.ts', '.js', '.jsx', '.json'],
    },
    module: {
        rules: [
            {
                test: /\.[jt]sx?$/,
                exclude: /node_modules/,
                use: {
                    loader: 'babel-loader',
                    options: {
                        // The webapp's Babel setup (TypeScript + classic JSX).
                        configFile: path.resolve(__dirname, '../babel.config.js'),
                        cacheDirectory: true,
                    },
                },
            },
        ],
    },
    output: {
        path: path.resolve(__dirname, 'dist'),
        filename: 'host.js',
        clean: true,
    },
    performance: {hints: false},
    stats: 'minimal',
};
