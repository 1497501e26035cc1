// Host page of the browser test: a small stand-in for the Mattermost webapp that loads the
// REAL plugin bundle (webapp/dist/main.js) unmodified. Like Mattermost it
//   - puts React, ReactDOM, Redux, ReactRedux and PropTypes on window (the bundle's
//     webpack externals) and exposes window.WebappUtils.browserHistory;
//   - keeps a redux store shaped like Mattermost's (entities.users/teams/channels/posts/
//     general/preferences) and mounts plugin reducers at state['plugins-<id>'];
//   - defines window.registerPlugin and hands initialize() a registry that accepts the
//     positional and the named-argument forms; a method the host does not know is a
//     recorded no-op, so a new registration never crashes the page;
//   - renders a channel view: channel sidebar, channel header with the plugins' buttons,
//     channel toasts, posts with their PostMessageAttachment components, the message box
//     with PostEditorAction components and the MessageWillBePosted hooks, the right-hand
//     sidebar and the app bar; and applies the theme as Mattermost's CSS variables.
//
// Query parameters: ?theme=dark (Onyx), ?react=18 (expose React 18-only APIs to the
// plugin), ?root=concurrent (createRoot instead of the legacy render Mattermost 10 uses).
// window.__host is the test's handle: what was registered, navigations, websocket events.

import PropTypes from 'prop-types';
import React, {useId, useState} from 'react';
import type {ReactNode} from 'react';
import ReactDOM from 'react-dom';
import {createRoot} from 'react-dom/client';
import * as ReactRedux from 'react-redux';
import {Provider, useSelector} from 'react-redux';
import * as Redux from 'redux';
import {applyMiddleware, combineReducers, legacy_createStore as createStore} from 'redux';
import type {Reducer, ReducersMapObject, Store} from 'redux';
import {thunk} from 'redux-thunk';

// ---- what the server hands over -----------------------------------------------------

type HostUser = {
    id: string;
    username: string;
    first_name: string;
    last_name: string;
    nickname: string;
    email: string;
    roles: string;
    locale: string;
    is_bot: boolean;
};

type HostTeam = {id: string; name: string; display_name: string; type: string};

type HostChannel = {
    id: string;
    name: string;
    display_name: string;
    type: string;
    header: string;
    purpose: string;
};

type AttachmentAction = {id: string; name: string; style?: string};
type AttachmentField = {title: string; value: string; short?: boolean};
type Attachment = {color?: string; title?: string; text?: string; fields?: AttachmentField[]; actions?: AttachmentAction[]};

type HostPost = {
    id: string;
    channel_id: string;
    user_id: string;
    create_at: number;
    message: string;
    type?: string;
    props: Record<string, unknown> & {attachments?: Attachment[]};
    pending_post_id?: string;
};

type World = {
    currentUserId: string;
    currentTeamId: string;
    currentChannelId: string;
    users: HostUser[];
    teams: HostTeam[];
    channels: HostChannel[];
    posts: HostPost[];
};

type HostConfig = {
    pluginId: string;
    pluginBundleUrl: string;
    siteURL: string;
    serverNow: number;
    world: World;
};

// ---- globals the plugin bundle and the test use --------------------------------------

type WebSocketMessage = {
    event: string;
    data: unknown;
    broadcast: {omit_users: null; user_id: string; channel_id: string; team_id: string};
    seq: number;
};

type Registration = {pluginId: string; method: string; known: boolean; args: string};

type HostApi = {
    phase: 'loading' | 'initialized' | 'failed';
    error: string | null;
    pluginIds: string[];
    registrations: Registration[];
    navigations: string[];
    postActions: Array<{postId: string; actionId: string; name: string}>;
    componentErrors: Array<{pluggable: string; pluginId: string; message: string}>;
    hookWarnings: string[];
    sentCommands: string[];
    websocketEvents: () => string[];
    emitWebSocketEvent: (event: string, data: unknown, broadcast?: Partial<WebSocketMessage['broadcast']>) => number;
    reconnect: () => number;
    store: Store;
    react: string;
    root: string;
    theme: string;
};

type MattermostPluginLike = {
    initialize?: (registry: object, store: Store) => unknown;
};

declare global {
    interface Window {
        __HOST_CONFIG__: HostConfig;
        __host: HostApi;
        React: unknown;
        ReactDOM: unknown;
        Redux: unknown;
        ReactRedux: unknown;
        PropTypes: unknown;
        WebappUtils: {browserHistory: BrowserHistory};
        registerPlugin: (id: string, plugin: MattermostPluginLike) => void;
    }
}

const config = window.__HOST_CONFIG__;
const params = new URLSearchParams(window.location.search);
const themeName = params.get('theme') === 'dark' ? 'dark' : 'light';
const exposeReact18 = params.get('react') === '18';
const rootMode = params.get('root') === 'concurrent' ? 'concurrent' : 'legacy';

// Mattermost 10.x gives plugins React 17 (the plugin's min_server_version is 10.11), so by
// default the plugin sees React without the APIs React 18 added; a plugin calling one
// fails here as it would there. ?react=18 exposes them.
const REACT_18_ONLY = ['useId', 'useSyncExternalStore', 'useInsertionEffect', 'useTransition', 'useDeferredValue', 'startTransition', 'act', 'unstable_act'];
const REACT_DOM_18_ONLY = ['createRoot', 'hydrateRoot'];

function without<T extends object>(mod: T, keys: string[]): T {
    const copy: Record<string, unknown> = {...(mod as Record<string, unknown>)};
    for (const key of keys) {
        delete copy[key];
    }
    return copy as T;
}

window.React = exposeReact18 ? React : without(React, REACT_18_ONLY);
window.ReactDOM = exposeReact18 ? ReactDOM : without(ReactDOM, REACT_DOM_18_ONLY);
window.Redux = Redux;
window.ReactRedux = ReactRedux;
window.PropTypes = PropTypes;

// ---- theme ------------------------------------------------------------------------------

type Theme = Record<string, string>;

// Mattermost's default light theme (Denim) and its default dark theme (Onyx).
const THEMES: Record<'light' | 'dark', Theme> = {
    light: {
        type: 'Denim',
        sidebarBg: '#1e325c',
        sidebarText: '#ffffff',
        sidebarUnreadText: '#ffffff',
        sidebarTextHoverBg: '#28427b',
        sidebarTextActiveBorder: '#5d89ea',
        sidebarTextActiveColor: '#ffffff',
        sidebarHeaderBg: '#192a4d',
        sidebarHeaderTextColor: '#ffffff',
        sidebarTeamBarBg: '#14213e',
        onlineIndicator: '#3db887',
        awayIndicator: '#ffbc1f',
        dndIndicator: '#d24b4e',
        mentionBg: '#ffffff',
        mentionColor: '#1e325c',
        centerChannelBg: '#ffffff',
        centerChannelColor: '#3f4350',
        newMessageSeparator: '#cc8f00',
        linkColor: '#386fe5',
        buttonBg: '#1c58d9',
        buttonColor: '#ffffff',
        errorTextColor: '#d24b4e',
        mentionHighlightBg: '#ffd470',
        mentionHighlightLink: '#1b1d22',
        codeTheme: 'github',
    },
    dark: {
        type: 'Onyx',
        sidebarBg: '#202228',
        sidebarText: '#ffffff',
        sidebarUnreadText: '#ffffff',
        sidebarTextHoverBg: '#25262a',
        sidebarTextActiveBorder: '#4a7ce8',
        sidebarTextActiveColor: '#ffffff',
        sidebarHeaderBg: '#24272d',
        sidebarHeaderTextColor: '#ffffff',
        sidebarTeamBarBg: '#292c33',
        onlineIndicator: '#3db887',
        awayIndicator: '#f5ab00',
        dndIndicator: '#d24b4e',
        mentionBg: '#4b7ce7',
        mentionColor: '#ffffff',
        centerChannelBg: '#191b1f',
        centerChannelColor: '#e3e4e8',
        newMessageSeparator: '#1adbdb',
        linkColor: '#5d89ea',
        buttonBg: '#4a7ce8',
        buttonColor: '#ffffff',
        errorTextColor: '#da6c6e',
        mentionHighlightBg: '#0d6e6e',
        mentionHighlightLink: '#a4f4f4',
        codeTheme: 'monokai',
    },
};

function rgb(hex: string): string {
    const n = parseInt(hex.replace('#', ''), 16);
    return `${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}`;
}

// The CSS variables Mattermost's applyTheme sets on :root.
function applyTheme(theme: Theme, dark: boolean) {
    const vars: Record<string, string> = {
        '--sidebar-bg': theme.sidebarBg,
        '--sidebar-text': theme.sidebarText,
        '--sidebar-unread-text': theme.sidebarUnreadText,
        '--sidebar-text-hover-bg': theme.sidebarTextHoverBg,
        '--sidebar-text-active-border': theme.sidebarTextActiveBorder,
        '--sidebar-text-active-color': theme.sidebarTextActiveColor,
        '--sidebar-header-bg': theme.sidebarHeaderBg,
        '--sidebar-header-text-color': theme.sidebarHeaderTextColor,
        '--sidebar-teambar-bg': theme.sidebarTeamBarBg,
        '--global-header-background': theme.sidebarHeaderBg,
        '--global-header-text': theme.sidebarHeaderTextColor,
        '--online-indicator': theme.onlineIndicator,
        '--away-indicator': theme.awayIndicator,
        '--dnd-indicator': theme.dndIndicator,
        '--mention-bg': theme.mentionBg,
        '--mention-color': theme.mentionColor,
        '--center-channel-bg': theme.centerChannelBg,
        '--center-channel-color': theme.centerChannelColor,
        '--new-message-separator': theme.newMessageSeparator,
        '--link-color': theme.linkColor,
        '--button-bg': theme.buttonBg,
        '--button-color': theme.buttonColor,
        '--error-text': theme.errorTextColor,
        '--mention-highlight-bg': theme.mentionHighlightBg,
        '--mention-highlight-link': theme.mentionHighlightLink,
    };
    for (const key of ['--sidebar-bg', '--sidebar-text', '--sidebar-text-hover-bg', '--online-indicator', '--away-indicator', '--dnd-indicator', '--mention-bg', '--center-channel-bg', '--center-channel-color', '--new-message-separator', '--link-color', '--button-bg', '--button-color', '--mention-highlight-bg']) {
        vars[`${key}-rgb`] = rgb(vars[key]);
    }
    vars['--error-text-color-rgb'] = rgb(theme.errorTextColor);
    const root = document.documentElement;
    for (const [key, value] of Object.entries(vars)) {
        root.style.setProperty(key, value);
    }
    root.style.colorScheme = dark ? 'dark' : 'light';
    root.dataset.theme = dark ? 'dark' : 'light';
}

const theme = THEMES[themeName];
applyTheme(theme, themeName === 'dark');

// ---- the store ------------------------------------------------------------------------

const world = config.world;
const byId = <T extends {id: string}>(items: T[]): Record<string, T> => Object.fromEntries(items.map((i) => [i.id, i]));

function postsInChannel(posts: HostPost[]): Record<string, Array<{order: string[]; recent: boolean}>> {
    const out: Record<string, Array<{order: string[]; recent: boolean}>> = {};
    const sorted = [...posts].sort((a, b) => b.create_at - a.create_at); // newest first, like Mattermost
    for (const post of sorted) {
        out[post.channel_id] = out[post.channel_id] ?? [{order: [], recent: true}];
        out[post.channel_id][0].order.push(post.id);
    }
    return out;
}

function channelFromPath(pathname: string): string | null {
    const m = /^\/[^/]+\/channels\/([^/?#]+)/.exec(pathname);
    return (m && world.channels.find((c) => c.name === m[1])?.id) || null;
}

const initialEntities = {
    general: {
        config: {
            SiteURL: config.siteURL,
            DefaultTheme: 'default',
            TeammateNameDisplay: 'username',
            EnableCustomEmoji: 'false',
            ExperimentalEnableAppBar: 'true',
            Version: '10.11.0',
        },
        license: {IsLicensed: 'false'},
        serverVersion: '10.11.0',
    },
    users: {
        currentUserId: world.currentUserId,
        profiles: byId(world.users),
        profilesInChannel: {},
        statuses: {[world.currentUserId]: 'online'},
    },
    teams: {
        currentTeamId: world.currentTeamId,
        teams: byId(world.teams),
        myMembers: Object.fromEntries(world.teams.map((t) => [t.id, {team_id: t.id, user_id: world.currentUserId, roles: 'team_user', mention_count: 0, msg_count: 0}])),
    },
    channels: {
        currentChannelId: channelFromPath(window.location.pathname) ?? world.currentChannelId,
        channels: byId(world.channels.map((c) => ({...c, team_id: world.currentTeamId, delete_at: 0, create_at: 0, update_at: 0, creator_id: ''}))),
        channelsInTeam: {[world.currentTeamId]: world.channels.map((c) => c.id)},
        myMembers: Object.fromEntries(world.channels.map((c) => [c.id, {
            channel_id: c.id,
            user_id: world.currentUserId,
            roles: 'channel_user',
            msg_count: 0,
            mention_count: 0,
            last_viewed_at: config.serverNow,
            notify_props: {},
        }])),
        membersInChannel: {},
        stats: {},
    },
    posts: {
        posts: byId(world.posts.map((p) => ({update_at: p.create_at, edit_at: 0, delete_at: 0, root_id: '', original_id: '', type: '', hashtags: '', reply_count: 0, metadata: {}, ...p}))),
        postsInChannel: postsInChannel(world.posts),
        postsInThread: {},
        reactions: {},
    },
    preferences: {
        myPreferences: {
            'theme--': {user_id: world.currentUserId, category: 'theme', name: '', value: JSON.stringify(theme)},
        },
    },
    roles: {roles: {}},
};

type Entities = typeof initialEntities;
type HostAction = {type: string; [key: string]: unknown};

const SELECT_CHANNEL = 'SELECT_CHANNEL';
const RECEIVED_NEW_POST = 'RECEIVED_NEW_POST';
const UPDATE_RHS_STATE = 'UPDATE_RHS_STATE';
const TOGGLE_RHS_PLUGIN = 'TOGGLE_RHS_PLUGIN';
const RECEIVED_PLUGIN_COMPONENT = 'RECEIVED_PLUGIN_COMPONENT';
const REMOVED_PLUGIN_COMPONENT = 'REMOVED_PLUGIN_COMPONENT';
const RECEIVED_PLUGIN_POST_COMPONENT = 'RECEIVED_PLUGIN_POST_COMPONENT';
const REMOVED_PLUGIN_POST_COMPONENT = 'REMOVED_PLUGIN_POST_COMPONENT';

function entities(state: Entities = initialEntities, action: HostAction): Entities {
    switch (action.type) {
    case SELECT_CHANNEL:
        return {...state, channels: {...state.channels, currentChannelId: action.channelId as string}};
    case RECEIVED_NEW_POST: {
        const post = action.data as HostPost;
        const blocks = state.posts.postsInChannel[post.channel_id] ?? [{order: [], recent: true}];
        return {
            ...state,
            posts: {
                ...state.posts,
                posts: {...state.posts.posts, [post.id]: {...state.posts.posts[post.id], ...post} as Entities['posts']['posts'][string]},
                postsInChannel: {...state.posts.postsInChannel, [post.channel_id]: [{...blocks[0], order: [post.id, ...blocks[0].order]}, ...blocks.slice(1)]},
            },
        };
    }
    default:
        return state;
    }
}

type RhsState = {rhsState: 'plugin' | null; pluggableId: string; isSidebarOpen: boolean};
const closedRhs: RhsState = {rhsState: null, pluggableId: '', isSidebarOpen: false};

function rhs(state: RhsState = closedRhs, action: HostAction): RhsState {
    switch (action.type) {
    case UPDATE_RHS_STATE:
        return action.state === 'plugin' ? {rhsState: 'plugin', pluggableId: action.pluggableId as string, isSidebarOpen: true} : closedRhs;
    case TOGGLE_RHS_PLUGIN:
        return state.rhsState === 'plugin' && state.pluggableId === action.pluggableId ? closedRhs : {rhsState: 'plugin', pluggableId: action.pluggableId as string, isSidebarOpen: true};
    default:
        return state;
    }
}

// Registrations, as Mattermost keeps them in state.plugins.components.
type Resolvable = ReactNode;
type AnyComponent = React.ComponentType<Record<string, unknown>>;
type PluginItem = {
    id: string;
    pluginId: string;
    component?: AnyComponent;
    icon?: Resolvable;
    action?: (...args: unknown[]) => unknown;
    dropdownText?: Resolvable;
    tooltipText?: Resolvable;
    title?: Resolvable;
    iconUrl?: string;
    hook?: (...args: unknown[]) => unknown;
    type?: string;
};
type PluginsState = {components: Record<string, PluginItem[]>; postTypes: Record<string, PluginItem>};

function plugins(state: PluginsState = {components: {}, postTypes: {}}, action: HostAction): PluginsState {
    switch (action.type) {
    case RECEIVED_PLUGIN_COMPONENT: {
        const name = action.name as string;
        return {...state, components: {...state.components, [name]: [...(state.components[name] ?? []), action.data as PluginItem]}};
    }
    case REMOVED_PLUGIN_COMPONENT: {
        const components: Record<string, PluginItem[]> = {};
        for (const [name, items] of Object.entries(state.components)) {
            components[name] = items.filter((i) => i.id !== action.id);
        }
        return {...state, components};
    }
    case RECEIVED_PLUGIN_POST_COMPONENT: {
        const data = action.data as PluginItem;
        return {...state, postTypes: {...state.postTypes, [data.type as string]: data}};
    }
    case REMOVED_PLUGIN_POST_COMPONENT:
        return {...state, postTypes: Object.fromEntries(Object.entries(state.postTypes).filter(([, v]) => v.id !== action.id))};
    default:
        return state;
    }
}

type HostState = {entities: Entities; views: {rhs: RhsState}; plugins: PluginsState} & Record<string, unknown>;

const hostReducers = {entities, views: combineReducers({rhs}), plugins};
const pluginReducers: Record<string, Reducer> = {};

function rootReducer(): Reducer<HostState> {
    return combineReducers({...hostReducers, ...pluginReducers} as unknown as ReducersMapObject) as unknown as Reducer<HostState>;
}

const store: Store<HostState> = createStore(rootReducer(), applyMiddleware(thunk));

// ---- window.__host: what the test reads ------------------------------------------------

type Handlers = Map<string, (msg: WebSocketMessage) => void>;
const websocketHandlers: Handlers = new Map(); // `${pluginId} ${event}` → handler
const reconnectHandlers = new Map<string, () => void>();
let websocketSeq = 0;

const host: HostApi = {
    phase: 'loading',
    error: null,
    pluginIds: [],
    registrations: [],
    navigations: [],
    postActions: [],
    componentErrors: [],
    hookWarnings: [],
    sentCommands: [],
    websocketEvents: () => [...websocketHandlers.keys()].map((k) => k.split(' ')[1]),
    emitWebSocketEvent(event, data, broadcast = {}) {
        let called = 0;
        for (const [key, handler] of websocketHandlers) {
            if (key.split(' ')[1] === event) {
                handler({event, data, broadcast: {omit_users: null, user_id: '', channel_id: '', team_id: '', ...broadcast}, seq: ++websocketSeq});
                called++;
            }
        }
        return called;
    },
    reconnect() {
        for (const handler of reconnectHandlers.values()) {
            handler();
        }
        return reconnectHandlers.size;
    },
    store,
    react: exposeReact18 ? '18 (all APIs)' : '17 API surface (React 18-only APIs hidden)',
    root: rootMode,
    theme: themeName,
};
window.__host = host;

// ---- navigation: window.WebappUtils.browserHistory -----------------------------------

type BrowserHistory = {
    push: (path: string) => void;
    replace: (path: string) => void;
    goBack: () => void;
    location: Location;
    listen: (listener: () => void) => () => void;
};

const historyListeners = new Set<() => void>();

function followUrl(url: string, replace: boolean) {
    host.navigations.push(url);
    const target = new URL(url, config.siteURL);
    if (target.origin !== window.location.origin) {
        return;
    }
    const search = target.search || window.location.search; // keep ?theme=… across navigations
    if (replace) {
        window.history.replaceState(null, '', target.pathname + search + target.hash);
    } else {
        window.history.pushState(null, '', target.pathname + search + target.hash);
    }
    const channelId = channelFromPath(target.pathname);
    const permalink = /^\/[^/]+\/pl\/([a-z0-9]+)/.exec(target.pathname);
    if (channelId) {
        store.dispatch({type: SELECT_CHANNEL, channelId});
    } else if (permalink && store.getState().entities.posts.posts[permalink[1]]) {
        store.dispatch({type: SELECT_CHANNEL, channelId: store.getState().entities.posts.posts[permalink[1]].channel_id});
    }
    historyListeners.forEach((l) => l());
}

window.WebappUtils = {
    browserHistory: {
        push: (path) => followUrl(path, false),
        replace: (path) => followUrl(path, true),
        goBack: () => window.history.back(),
        get location() {
            return window.location;
        },
        listen: (listener) => {
            historyListeners.add(listener);
            return () => historyListeners.delete(listener);
        },
    },
};

window.addEventListener('popstate', () => {
    const channelId = channelFromPath(window.location.pathname);
    if (channelId) {
        store.dispatch({type: SELECT_CHANNEL, channelId});
    }
});

// ---- the plugin registry ----------------------------------------------------------------

let lastId = 0;
function generateId(): string {
    lastId++;
    return `hostid${String(lastId).padStart(20, '0')}`;
}

function isComponentType(value: unknown): boolean {
    if (typeof value === 'function') {
        return true;
    }
    return typeof value === 'object' && value !== null && '$$typeof' in value && !React.isValidElement(value);
}

// Like Mattermost: a component passed where an element is expected is instantiated.
function resolveReactElement(value: unknown): Resolvable {
    if (value && !React.isValidElement(value) && isComponentType(value)) {
        return React.createElement(value as AnyComponent);
    }
    return value as Resolvable;
}

function textOf(value: unknown): string {
    if (typeof value === 'string' || typeof value === 'number') {
        return String(value);
    }
    if (React.isValidElement(value)) {
        const props = value.props as {children?: unknown; 'aria-label'?: unknown};
        return typeof props['aria-label'] === 'string' ? props['aria-label'] : textOf(props.children);
    }
    if (Array.isArray(value)) {
        return value.map(textOf).join('');
    }
    return '';
}

function describeArg(value: unknown): string {
    if (typeof value === 'string') {
        return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    }
    if (typeof value === 'function') {
        return value.name ? `${value.name}()` : 'fn';
    }
    if (React.isValidElement(value)) {
        const type = value.type as string | {name?: string; displayName?: string};
        return `<${typeof type === 'string' ? type : type.displayName || type.name || 'Component'}/>`;
    }
    if (value && typeof value === 'object') {
        return `{${Object.keys(value).join(', ')}}`;
    }
    return String(value);
}

function isNamedArgs(args: unknown[], names: string[]): args is [Record<string, unknown>] {
    const [first] = args;
    return args.length === 1 && typeof first === 'object' && first !== null && !Array.isArray(first) &&
        !React.isValidElement(first) && Object.getPrototypeOf(first) === Object.prototype &&
        names.some((n) => n in first);
}

type Method = (a: Record<string, unknown>) => unknown;

// Mattermost's reArg: every registry method takes positional arguments or one object with
// the same names.
function reArg(names: string[], fn: Method) {
    return (...args: unknown[]) => {
        if (isNamedArgs(args, names)) {
            return fn(args[0]);
        }
        return fn(Object.fromEntries(names.map((n, i) => [n, args[i]])));
    };
}

function createRegistry(pluginId: string): object {
    const addComponent = (name: string, data: Omit<PluginItem, 'id' | 'pluginId'>, id = generateId()) => {
        store.dispatch({type: RECEIVED_PLUGIN_COMPONENT, name, data: {id, pluginId, ...data}});
        return id;
    };
    const componentMethod = (name: string) => reArg(['component'], ({component}) => addComponent(name, {component: component as AnyComponent}));
    const hookMethod = (name: string) => reArg(['hook'], ({hook}) => addComponent(name, {hook: hook as PluginItem['hook']}));

    const registerRightHandSidebarComponent = reArg(['component', 'title'], ({component, title}) => {
        const id = addComponent('RightHandSidebarComponent', {component: component as AnyComponent, title: resolveReactElement(title)});
        return {
            id,
            showRHSPlugin: {type: UPDATE_RHS_STATE, state: 'plugin', pluggableId: id},
            hideRHSPlugin: {type: UPDATE_RHS_STATE, state: null, pluggableId: id},
            toggleRHSPlugin: {type: TOGGLE_RHS_PLUGIN, pluggableId: id},
        };
    });

    const methods: Record<string, (...args: unknown[]) => unknown> = {
        registerReducer: reArg(['reducer'], ({reducer}) => {
            pluginReducers[`plugins-${pluginId}`] = reducer as Reducer;
            store.replaceReducer(rootReducer());
        }),
        registerRightHandSidebarComponent,
        registerChannelHeaderButtonAction: reArg(['icon', 'action', 'dropdownText', 'tooltipText'], ({icon, action, dropdownText, tooltipText}) => addComponent('ChannelHeaderButton', {
            icon: resolveReactElement(icon),
            action: action as PluginItem['action'],
            dropdownText: resolveReactElement(dropdownText),
            tooltipText: resolveReactElement(tooltipText),
        })),
        registerAppBarComponent: reArg(['iconUrl', 'action', 'tooltipText', 'supportedProductIds', 'rhsComponent', 'rhsTitle'], ({iconUrl, action, tooltipText, rhsComponent, rhsTitle}) => {
            const rhsRegistration = rhsComponent ? registerRightHandSidebarComponent({component: rhsComponent, title: rhsTitle}) as {id: string; toggleRHSPlugin: HostAction} : null;
            const id = addComponent('AppBar', {
                iconUrl: iconUrl as string,
                tooltipText: resolveReactElement(tooltipText),
                action: rhsRegistration ? () => store.dispatch(rhsRegistration.toggleRHSPlugin) : action as PluginItem['action'],
                type: rhsRegistration?.id,
            });
            return rhsRegistration ? {id, rhsComponent: rhsRegistration} : id;
        }),
        registerChannelToastComponent: componentMethod('ChannelToast'),
        registerPostEditorActionComponent: componentMethod('PostEditorAction'),
        registerPostMessageAttachmentComponent: componentMethod('PostMessageAttachment'),
        registerRootComponent: componentMethod('Root'),
        registerGlobalComponent: componentMethod('Global'),
        registerMessageWillBePostedHook: hookMethod('MessageWillBePosted'),
        registerSlashCommandWillBePostedHook: hookMethod('SlashCommandWillBePosted'),
        registerPostTypeComponent: reArg(['type', 'component'], ({type, component}) => {
            const id = generateId();
            store.dispatch({type: RECEIVED_PLUGIN_POST_COMPONENT, data: {id, pluginId, type, component}});
            return id;
        }),
        unregisterComponent: reArg(['componentId'], ({componentId}) => {
            store.dispatch({type: REMOVED_PLUGIN_COMPONENT, id: componentId});
        }),
        unregisterPostTypeComponent: reArg(['componentId'], ({componentId}) => {
            store.dispatch({type: REMOVED_PLUGIN_POST_COMPONENT, id: componentId});
        }),
        registerAdminConsoleCustomSetting: reArg(['key', 'component', 'options'], ({key, component}) => {
            addComponent('AdminConsoleCustomSetting', {component: component as AnyComponent, type: key as string});
        }),
        registerWebSocketEventHandler: reArg(['event', 'handler'], ({event, handler}) => {
            websocketHandlers.set(`${pluginId} ${event as string}`, handler as (msg: WebSocketMessage) => void);
        }),
        unregisterWebSocketEventHandler: reArg(['event'], ({event}) => {
            websocketHandlers.delete(`${pluginId} ${event as string}`);
        }),
        registerReconnectHandler: reArg(['handler'], ({handler}) => {
            reconnectHandlers.set(pluginId, handler as () => void);
        }),
        unregisterReconnectHandler: () => {
            reconnectHandlers.delete(pluginId);
        },
        registerTranslations: reArg(['getTranslationsForLocale'], () => undefined),
    };

    const record = (method: string, known: boolean, args: unknown[]) => {
        host.registrations.push({pluginId, method, known, args: args.map(describeArg).join(', ')});
    };

    const target = {id: pluginId, supports: {globalAppBar: true, globalRhs: true}};
    return new Proxy(target, {
        get(obj, prop) {
            if (typeof prop !== 'string') {
                return undefined;
            }
            if (prop in obj) {
                return obj[prop as keyof typeof obj];
            }
            if (Object.hasOwn(methods, prop)) {
                return (...args: unknown[]) => {
                    record(prop, true, args);
                    return methods[prop](...args);
                };
            }
            if (/^(un)?register[A-Z]/.test(prop)) {
                // A method this host does not render: record it and go on, as a newer
                // registration must not break the page.
                return (...args: unknown[]) => {
                    record(prop, false, args);
                    return generateId();
                };
            }
            return undefined;
        },
    });
}

window.registerPlugin = (id, plugin) => {
    host.pluginIds.push(id);
    const fail = (err: unknown) => {
        host.phase = 'failed';
        host.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        // eslint-disable-next-line no-console -- Mattermost logs a failed initialize the same way.
        console.error(`Plugin ${id} failed to initialize:`, err);
    };
    try {
        const result = plugin.initialize?.(createRegistry(id), store);
        Promise.resolve(result).then(() => {
            if (host.phase === 'loading') {
                host.phase = 'initialized';
            }
        }, fail);
    } catch (err) {
        fail(err);
    }
};

// ---- rendering plugin components ---------------------------------------------------

type BoundaryProps = {pluggable: string; pluginId: string; children: ReactNode};

// Like Mattermost's pluggable error boundary: a crashing plugin component is replaced by
// a note instead of taking the page down.
class PluggableErrorBoundary extends React.Component<BoundaryProps, {error: Error | null}> {
    state = {error: null as Error | null};

    static getDerivedStateFromError(error: Error) {
        return {error};
    }

    componentDidCatch(error: Error) {
        host.componentErrors.push({pluggable: this.props.pluggable, pluginId: this.props.pluginId, message: error.message});
    }

    render() {
        if (this.state.error) {
            return (
                <div
                    role='alert'
                    className='host-plugin-crash'
                >
                    {`${this.props.pluggable} of plugin ${this.props.pluginId} crashed: ${this.state.error.message}`}
                </div>
            );
        }
        return this.props.children;
    }
}

function Pluggable({item, name, props = {}}: {item: PluginItem; name: string; props?: Record<string, unknown>}) {
    if (!item.component) {
        return null;
    }
    return (
        <PluggableErrorBoundary
            pluggable={name}
            pluginId={item.pluginId}
        >
            {React.createElement(item.component, {theme, ...props})}
        </PluggableErrorBoundary>
    );
}

const EMPTY: PluginItem[] = [];
function usePluginItems(name: string): PluginItem[] {
    return useSelector((state: HostState) => state.plugins.components[name] ?? EMPTY);
}

function useCurrentChannel(): HostChannel {
    return useSelector((state: HostState) => state.entities.channels.channels[state.entities.channels.currentChannelId]);
}

function displayName(user: HostUser | undefined): string {
    if (!user) {
        return 'Someone';
    }
    return `${user.first_name} ${user.last_name}`.trim() || user.username;
}

function formatTime(at: number): string {
    return new Date(at).toLocaleTimeString('en-US', {hour: 'numeric', minute: '2-digit'});
}

// ---- the page -----------------------------------------------------------------------

function Icon({path, size = 18}: {path: string; size?: number}) {
    return (
        <svg
            aria-hidden='true'
            focusable='false'
            width={size}
            height={size}
            viewBox='0 0 24 24'
            fill='currentColor'
        >
            <path d={path}/>
        </svg>
    );
}

const ICONS = {
    lock: 'M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5Zm-3 8V7a3 3 0 0 1 6 0v3H9Z',
    globe: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm6.9 6h-3a15.7 15.7 0 0 0-1.4-3.6A8 8 0 0 1 18.9 8ZM12 4c.8 1.2 1.5 2.5 1.9 4h-3.8c.4-1.5 1.1-2.8 1.9-4ZM4.3 14a8 8 0 0 1 0-4h3.4a16.5 16.5 0 0 0 0 4H4.3Zm.8 2h3a15.7 15.7 0 0 0 1.4 3.6A8 8 0 0 1 5.1 16Zm3-8h-3a8 8 0 0 1 4.4-3.6C8.9 5.5 8.4 6.7 8.1 8ZM12 20c-.8-1.2-1.5-2.5-1.9-4h3.8c-.4 1.5-1.1 2.8-1.9 4Zm2.3-6H9.7a14.7 14.7 0 0 1 0-4h4.6a14.7 14.7 0 0 1 0 4Zm.2 5.6c.6-1.1 1.1-2.3 1.4-3.6h3a8 8 0 0 1-4.4 3.6Zm1.8-5.6a16.5 16.5 0 0 0 0-4h3.4a8 8 0 0 1 0 4h-3.4Z',
    close: 'M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4Z',
    send: 'M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z',
};

function GlobalHeader() {
    const me = useSelector((state: HostState) => state.entities.users.profiles[state.entities.users.currentUserId]);
    return (
        <header className='host-global-header'>
            <span className='host-global-header__product'>{'Channels'}</span>
            <span className='host-global-header__note'>{'browser-test host (stand-in for the Mattermost webapp)'}</span>
            <span className='host-global-header__user'>
                <span
                    className='host-avatar host-avatar--small'
                    aria-hidden='true'
                >
                    {initials(displayName(me))}
                </span>
                {`@${me.username}`}
            </span>
        </header>
    );
}

function initials(name: string): string {
    return name.split(/\s+/).map((w) => w[0] ?? '').join('').slice(0, 2).toUpperCase();
}

function ChannelSidebar() {
    const channels = useSelector((state: HostState) => state.entities.channels.channels);
    const currentId = useSelector((state: HostState) => state.entities.channels.currentChannelId);
    const team = useSelector((state: HostState) => state.entities.teams.teams[state.entities.teams.currentTeamId]);
    return (
        <nav
            className='host-sidebar'
            aria-label='Channels'
        >
            <div className='host-sidebar__team'>{team.display_name}</div>
            <ul className='host-sidebar__list'>
                {Object.values(channels).map((c) => (
                    <li key={c.id}>
                        <a
                            href={`/${team.name}/channels/${c.name}`}
                            className={c.id === currentId ? 'host-sidebar__link active' : 'host-sidebar__link'}
                            aria-current={c.id === currentId ? 'page' : undefined}
                            onClick={(e) => {
                                e.preventDefault();
                                followUrl(`/${team.name}/channels/${c.name}`, false);
                            }}
                        >
                            <Icon
                                path={c.type === 'P' ? ICONS.lock : ICONS.globe}
                                size={14}
                            />
                            <span>{c.display_name}</span>
                        </a>
                    </li>
                ))}
            </ul>
        </nav>
    );
}

function ChannelHeader() {
    const channel = useCurrentChannel();
    const member = useSelector((state: HostState) => state.entities.channels.myMembers[channel.id]);
    const buttons = usePluginItems('ChannelHeaderButton');
    const rhsState = useSelector((state: HostState) => state.views.rhs);
    const rhsItems = usePluginItems('RightHandSidebarComponent');
    const openPluginId = rhsState.rhsState === 'plugin' ? rhsItems.find((i) => i.id === rhsState.pluggableId)?.pluginId : undefined;
    return (
        <section
            className='host-channel-header'
            aria-label='Channel header'
        >
            <div className='host-channel-header__info'>
                <h1 className='host-channel-header__name'>
                    <Icon
                        path={channel.type === 'P' ? ICONS.lock : ICONS.globe}
                        size={16}
                    />
                    {channel.display_name}
                </h1>
                {channel.header && <span className='host-channel-header__description'>{channel.header}</span>}
            </div>
            <div className='host-channel-header__buttons'>
                {buttons.map((b) => {
                    const tooltip = textOf(b.tooltipText);
                    return (
                        <button
                            key={b.id}
                            type='button'
                            className={openPluginId === b.pluginId ? 'host-channel-header__icon active' : 'host-channel-header__icon'}
                            aria-label={tooltip || textOf(b.dropdownText) || undefined}
                            title={tooltip || undefined}
                            onClick={() => b.action?.(channel, member)}
                        >
                            {b.icon}
                        </button>
                    );
                })}
            </div>
        </section>
    );
}

function ChannelToasts() {
    const toasts = usePluginItems('ChannelToast');
    return (
        <div
            className='host-channel-toasts'
            data-host-area='channel-toasts'
        >
            {toasts.map((t) => (
                <Pluggable
                    key={t.id}
                    item={t}
                    name='ChannelToast'
                />
            ))}
        </div>
    );
}

// Enough Markdown for the sample posts: **bold**, [text](url) and line breaks.
function renderMarkdown(text: string): ReactNode[] {
    return text.split('\n').flatMap((line, lineIndex) => {
        const nodes: ReactNode[] = lineIndex > 0 ? [<br key={`br${lineIndex}`}/>] : [];
        const token = /\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
        let rest = 0;
        for (const m of line.matchAll(token)) {
            if (m.index > rest) {
                nodes.push(line.slice(rest, m.index));
            }
            const key = `${lineIndex}-${m.index}`;
            nodes.push(m[1] ? <strong key={key}>{m[1]}</strong> : (
                <a
                    key={key}
                    href={m[3]}
                    target='_blank'
                    rel='noopener noreferrer'
                >
                    {m[2]}
                </a>
            ));
            rest = m.index + m[0].length;
        }
        if (rest < line.length) {
            nodes.push(line.slice(rest));
        }
        return nodes;
    });
}

function PostAttachments({post}: {post: HostPost}) {
    const attachments = post.props.attachments ?? [];
    return (
        <>
            {attachments.map((a, i) => (
                <div
                    // Attachments of a post never reorder.
                    key={i}
                    className='host-attachment'
                    style={{borderLeftColor: a.color || 'rgba(var(--center-channel-color-rgb), 0.24)'}}
                >
                    {a.title && <div className='host-attachment__title'>{a.title}</div>}
                    {a.text && <div className='host-attachment__text'>{renderMarkdown(a.text)}</div>}
                    {a.fields && a.fields.length > 0 && (
                        <dl className='host-attachment__fields'>
                            {a.fields.map((f) => (
                                <div
                                    key={f.title}
                                    className={f.short ? 'host-attachment__field short' : 'host-attachment__field'}
                                >
                                    <dt>{f.title}</dt>
                                    <dd>{renderMarkdown(f.value)}</dd>
                                </div>
                            ))}
                        </dl>
                    )}
                    {a.actions && a.actions.length > 0 && (
                        <div className='host-attachment__actions'>
                            {a.actions.map((action) => (
                                <button
                                    key={action.id}
                                    type='button'
                                    className={`host-attachment__button ${action.style || 'default'}`}
                                    onClick={() => host.postActions.push({postId: post.id, actionId: action.id, name: action.name})}
                                >
                                    {action.name}
                                </button>
                            ))}
                        </div>
                    )}
                </div>
            ))}
        </>
    );
}

function Post({post}: {post: HostPost}) {
    const user = useSelector((state: HostState) => state.entities.users.profiles[post.user_id]);
    const postTypes = useSelector((state: HostState) => state.plugins.postTypes);
    const attachmentComponents = usePluginItems('PostMessageAttachment');
    const name = displayName(user);
    const typed = post.type ? postTypes[post.type] : undefined;
    return (
        <article
            className='host-post'
            aria-label={`At ${formatTime(post.create_at)}, ${name} wrote, ${post.message.replace(/\s+/g, ' ')}`}
            data-host-post-id={post.id}
        >
            {user?.is_bot ? (
                <img
                    className='host-avatar'
                    src='/static/favicon.svg'
                    alt=''
                />
            ) : (
                <span
                    className='host-avatar'
                    aria-hidden='true'
                >
                    {initials(name)}
                </span>
            )}
            <div className='host-post__body'>
                <div className='host-post__header'>
                    <span className='host-post__author'>{name}</span>
                    {user?.is_bot && <span className='host-post__bot-tag'>{'BOT'}</span>}
                    <time
                        className='host-post__time'
                        dateTime={new Date(post.create_at).toISOString()}
                    >
                        {formatTime(post.create_at)}
                    </time>
                </div>
                {typed ? (
                    <Pluggable
                        item={typed}
                        name='PostType'
                        props={{post, isRHS: false, compactDisplay: false}}
                    />
                ) : (
                    <>
                        <div className='host-post__message'>{renderMarkdown(post.message)}</div>
                        <PostAttachments post={post}/>
                    </>
                )}
                {attachmentComponents.map((c) => (
                    <Pluggable
                        key={c.id}
                        item={c}
                        name='PostMessageAttachment'
                        props={{postId: post.id, onHeightChange: noop}}
                    />
                ))}
            </div>
        </article>
    );
}

function noop() {
    // The host's post list does not virtualise, so heights need no re-measuring.
}

function PostList() {
    const channel = useCurrentChannel();
    const order = useSelector((state: HostState) => state.entities.posts.postsInChannel[channel.id]?.[0]?.order);
    const posts = useSelector((state: HostState) => state.entities.posts.posts);
    const ids = order ? [...order].reverse() : [];
    return (
        <div
            className='host-post-list'
            role='log'
            aria-label={`Messages in ${channel.display_name}`}
        >
            <div className='host-post-list__intro'>{`Beginning of ${channel.display_name}`}</div>
            {ids.map((id) => (
                <Post
                    key={id}
                    post={posts[id] as HostPost}
                />
            ))}
        </div>
    );
}

type HookResult = {post?: HostPost; error?: {message?: string}; message?: string; args?: unknown} | null | undefined;

function PostEditor() {
    const channel = useCurrentChannel();
    const currentUserId = useSelector((state: HostState) => state.entities.users.currentUserId);
    const teamId = useSelector((state: HostState) => state.entities.teams.currentTeamId);
    const actions = usePluginItems('PostEditorAction');
    const messageHooks = usePluginItems('MessageWillBePosted');
    const commandHooks = usePluginItems('SlashCommandWillBePosted');
    const [text, setText] = useState('');
    const [error, setError] = useState('');
    const inputId = useId();

    const send = async (e: {preventDefault: () => void}) => {
        e.preventDefault();
        setError('');
        const message = text.trim();
        if (!message) {
            return;
        }
        try {
            if (message.startsWith('/')) {
                let command = message;
                for (const h of commandHooks) {
                    const result = await h.hook?.(command, {channel_id: channel.id, team_id: teamId, root_id: ''}) as HookResult;
                    if (result?.error) {
                        setError(result.error.message || 'The command was rejected.');
                        return;
                    }
                    if (!result || result.message === undefined) {
                        setText('');
                        return; // swallowed by the plugin
                    }
                    command = result.message;
                }
                host.sentCommands.push(command);
                setText('');
                return;
            }
            const now = Date.now();
            let post: HostPost = {id: '', pending_post_id: `${currentUserId}:${now}`, channel_id: channel.id, user_id: currentUserId, create_at: now, message, type: '', props: {}};
            for (const h of messageHooks) {
                const result = await h.hook?.(post) as HookResult;
                if (result) {
                    if (result.error) {
                        setError(result.error.message || 'The message was rejected.');
                        return;
                    }
                    if (!result.post) {
                        host.hookWarnings.push(`A MessageWillBePosted hook of ${h.pluginId} returned neither {post} nor {error}; Mattermost would lose the message.`);
                        setError('A plugin hook returned no post.');
                        return;
                    }
                    post = result.post;
                }
            }
            store.dispatch({type: RECEIVED_NEW_POST, data: {...post, id: `hostpost${String(now).padStart(18, '0')}`}});
            setText('');
        } catch (err) {
            setError(`A plugin hook failed: ${err instanceof Error ? err.message : String(err)}`);
        }
    };

    return (
        <form
            className='host-post-editor'
            aria-label='Message composer'
            onSubmit={send}
        >
            <label
                htmlFor={inputId}
                className='host-visually-hidden'
            >
                {`Write to ${channel.display_name}`}
            </label>
            <textarea
                id={inputId}
                className='host-post-editor__input'
                placeholder={`Write to ${channel.display_name}`}
                rows={2}
                value={text}
                onChange={(e) => setText(e.target.value)}
                onKeyDown={(e) => {
                    if (e.key === 'Enter' && !e.shiftKey) {
                        send(e);
                    }
                }}
            />
            <div className='host-post-editor__bar'>
                <div className='host-post-editor__plugins'>
                    {actions.map((a) => (
                        <Pluggable
                            key={a.id}
                            item={a}
                            name='PostEditorAction'
                        />
                    ))}
                </div>
                <button
                    type='submit'
                    className='host-post-editor__send'
                    aria-label='Send Now'
                >
                    <Icon path={ICONS.send}/>
                </button>
            </div>
            {error && (
                <div
                    role='alert'
                    className='host-post-editor__error'
                >
                    {error}
                </div>
            )}
        </form>
    );
}

function RightHandSidebar() {
    const rhsState = useSelector((state: HostState) => state.views.rhs);
    const items = usePluginItems('RightHandSidebarComponent');
    const titleId = useId();
    const item = rhsState.rhsState === 'plugin' ? items.find((i) => i.id === rhsState.pluggableId) : undefined;
    if (!item) {
        return null;
    }
    return (
        <aside
            id='sidebar-right'
            className='host-rhs'
            aria-labelledby={titleId}
        >
            <div className='host-rhs__header'>
                <span
                    id={titleId}
                    className='host-rhs__title'
                >
                    {item.title}
                </span>
                <button
                    type='button'
                    className='host-icon-button'
                    aria-label='Close sidebar'
                    onClick={() => store.dispatch({type: UPDATE_RHS_STATE, state: null})}
                >
                    <Icon path={ICONS.close}/>
                </button>
            </div>
            <div className='host-rhs__body'>
                <Pluggable
                    item={item}
                    name='RightHandSidebarComponent'
                />
            </div>
        </aside>
    );
}

function AppBar() {
    const items = usePluginItems('AppBar');
    const channel = useCurrentChannel();
    const member = useSelector((state: HostState) => state.entities.channels.myMembers[channel.id]);
    const rhsState = useSelector((state: HostState) => state.views.rhs);
    return (
        <div
            className='host-app-bar'
            role='toolbar'
            aria-orientation='vertical'
            aria-label='App bar'
        >
            {items.map((i) => {
                const tooltip = textOf(i.tooltipText);
                const active = Boolean(i.type) && rhsState.pluggableId === i.type && rhsState.rhsState === 'plugin';
                return (
                    <button
                        key={i.id}
                        type='button'
                        className={active ? 'host-app-bar__item active' : 'host-app-bar__item'}
                        aria-label={tooltip || undefined}
                        title={tooltip || undefined}
                        onClick={() => i.action?.(channel, member)}
                    >
                        {i.iconUrl && (
                            <img
                                src={i.iconUrl}
                                alt=''
                                width={24}
                                height={24}
                            />
                        )}
                    </button>
                );
            })}
        </div>
    );
}

function App() {
    const roots = usePluginItems('Root');
    const globals = usePluginItems('Global');
    return (
        <div className='host-app'>
            <GlobalHeader/>
            <div className='host-body'>
                <ChannelSidebar/>
                <main className='host-center'>
                    <ChannelHeader/>
                    <ChannelToasts/>
                    <PostList/>
                    <PostEditor/>
                </main>
                <RightHandSidebar/>
                <AppBar/>
            </div>
            {[...roots, ...globals].map((r) => (
                <Pluggable
                    key={r.id}
                    item={r}
                    name='Root'
                />
            ))}
        </div>
    );
}

// ---- start ------------------------------------------------------------------------------

const container = document.getElementById('root') as HTMLElement;
const app = (
    <Provider store={store}>
        <App/>
    </Provider>
);

if (rootMode === 'concurrent') {
    createRoot(container).render(app);
} else {
    // Mattermost 10 renders with React 17's legacy root. React 18 still has it, with a
    // deprecation warning that is about the host, not the plugin, so that one is dropped.
    /* eslint-disable no-console -- filtering one message, not logging */
    const consoleError = console.error;
    console.error = (...args: unknown[]) => {
        if (typeof args[0] === 'string' && args[0].includes('ReactDOM.render is no longer supported')) {
            return;
        }
        consoleError(...args);
    };
    try {
        // eslint-disable-next-line react/no-deprecated -- the legacy root is the point
        ReactDOM.render(app, container);
    } finally {
        console.error = consoleError;
    }
    /* eslint-enable no-console */
}

// Mattermost loads plugin bundles after the app is up.
const script = document.createElement('script');
script.src = config.pluginBundleUrl;
script.onload = () => {
    if (!host.pluginIds.includes(config.pluginId)) {
        host.phase = 'failed';
        host.error = host.error || `the bundle loaded but never called window.registerPlugin('${config.pluginId}', …)`;
    }
};
script.onerror = () => {
    host.phase = 'failed';
    host.error = `could not load the plugin bundle ${config.pluginBundleUrl}`;
};
document.body.appendChild(script);
