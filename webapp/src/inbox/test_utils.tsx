// Fixtures for the webapp's tests: leads, a real redux store built from the plugin
// reducer plus the slice of Mattermost's `entities` the host selectors read, and a
// render helper. Test files mock the client themselves (jest.mock is per file):
//
//     jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

import {render} from '@testing-library/react';
import type {RenderResult} from '@testing-library/react';
import React from 'react';
import type {ReactElement} from 'react';
import {Provider} from 'react-redux';
import {combineReducers, legacy_createStore as createStore} from 'redux';
import type {Store} from 'redux';

import type {GlobalState} from '@mattermost/types/store';

import reducer from 'reducer';
import type {InboxState} from 'reducer';
import type {InboxSettings, LeadView} from 'types';

import {HOUR, MINUTE} from './risk';

// Sunday 22 November 2026, 12:00 UTC: the tests' "now".
export const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

export const ME = 'user-me';
export const OTHER = 'user-other';
export const ADMIN = 'user-admin';
export const TEAM = 'team-sales';
export const TOWN_SQUARE = 'channel-town-square';

export const SETTINGS: InboxSettings = {
    window_warning_minutes: 120,
    unanswered_alert_minutes: 15,
    human_agent_enabled: false,
};

type DeepPartial<T> = {[K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K]};

// An unclaimed Messenger lead whose buyer wrote 10 minutes ago: 23h 50m of the 24-hour
// window left, a normal reply possible.
export function makeLead(id: string, overrides: DeepPartial<LeadView> = {}): LeadView {
    const lastCustomerAt = overrides.window?.last_customer_at ?? NOW - (10 * MINUTE);
    const base: LeadView = {
        id,
        channel_id: `channel-${id}`,
        channel_name: `lead-${id}`,
        team_name: 'sales',
        platform: 'facebook',
        contact: {name: `Buyer ${id}`},
        source: {kind: 'dm'},
        handoff: {state: 'open', under_review: false, opened_at: lastCustomerAt},
        window: {last_customer_at: lastCustomerAt, standard_until: lastCustomerAt + (24 * HOUR), human_agent_enabled: false},
        send: {mode: 'response', until: lastCustomerAt + (24 * HOUR)},
        last_excerpt: `Hello from ${id}`,
        unanswered: true,
        updated_at: lastCustomerAt,
    };
    return {
        ...base,
        ...overrides,
        contact: {...base.contact, ...overrides.contact},
        source: {...base.source, ...overrides.source} as LeadView['source'],
        handoff: {...base.handoff, ...overrides.handoff},
        window: {...base.window, ...overrides.window},
        send: {...base.send, ...overrides.send},
    } as LeadView;
}

export const SET_CHANNEL = 'test/set_channel';

type StoreOptions = {
    currentUserId?: string;
    channelId?: string;
    siteURL?: string;
    plugin?: InboxState;
};

function user(id: string, username: string, roles = 'system_user') {
    return {id, username, roles, first_name: '', last_name: '', nickname: '', email: `${username}@example.com`};
}

// A redux store shaped like the host's, as far as the plugin reads it.
export function makeStore({currentUserId = ME, channelId = TOWN_SQUARE, siteURL = 'http://mm.example.com', plugin}: StoreOptions = {}): Store<GlobalState> {
    const entities = {
        users: {
            currentUserId,
            profiles: {
                [ME]: user(ME, 'me'),
                [OTHER]: user(OTHER, 'olivia'),
                [ADMIN]: user(ADMIN, 'ada', 'system_user system_admin'),
            },
        },
        channels: {currentChannelId: channelId, channels: {}},
        teams: {currentTeamId: TEAM, teams: {[TEAM]: {id: TEAM, name: 'sales', display_name: 'Sales'}}},
        general: {config: {SiteURL: siteURL}},
    };
    const entitiesReducer = (state = entities, action: {type: string; channelId?: string}) => {
        if (action.type === SET_CHANNEL) {
            return {...state, channels: {...state.channels, currentChannelId: action.channelId ?? ''}};
        }
        return state;
    };
    const root = combineReducers({
        entities: entitiesReducer,
        'plugins-social-inbox': reducer,
    });
    const preloaded = plugin ? {'plugins-social-inbox': plugin} : undefined;
    return createStore(root, preloaded as never) as unknown as Store<GlobalState>;
}

export function renderWithStore(ui: ReactElement, store: Store<GlobalState> = makeStore()): RenderResult & {store: Store<GlobalState>} {
    return {...render(<Provider store={store}>{ui}</Provider>), store};
}
