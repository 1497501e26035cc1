import {act, render, screen} from '@testing-library/react';
import React from 'react';
import type {ReactElement} from 'react';
import {Provider} from 'react-redux';

import type {Post} from '@mattermost/types/posts';

import client from 'client';
import ChannelLeadBanner from 'components/channel_lead_banner';
import ComposerGuard from 'components/composer_guard';
import ConnectionSettings from 'components/admin/connection_settings';
import InboxIcon from 'components/inbox_icon';
import InboxPanel from 'components/inbox_panel';
import DeliveryState from 'deliveries/delivery_state';
import {NOW, SETTINGS, makeLead, makeStore} from 'inbox/test_utils';
import reducer from 'reducer';
import {getLastReconnectAt, getLead} from 'selectors';
import type {MessageWillBePostedHook, PluginRegistry, PluginStore, PluginWebSocketMessage} from 'types/mattermost-webapp';
import {LEAD_UPDATE_COALESCE_MS} from 'websocket';

import {Plugin} from './index';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

const TOGGLE_RHS = {type: 'test/toggle_rhs'};

type Method = keyof PluginRegistry;
type RecordedCall = {method: Method; args: unknown[]};

// A stand-in for the host's registry that records every call, so the tests can assert
// on what the plugin registered and invoke the callbacks it handed over. `without`
// leaves out optional methods, as an older Mattermost would.
function createFakeRegistry(without: Method[] = []) {
    const calls: RecordedCall[] = [];
    const recorder = <R, >(method: Method, result: R) => (...args: unknown[]): R => {
        calls.push({method, args});
        return result;
    };

    const registry: PluginRegistry = {
        registerChannelHeaderButtonAction: recorder('registerChannelHeaderButtonAction', 'header-button-id'),
        registerRightHandSidebarComponent: recorder('registerRightHandSidebarComponent', {
            id: 'rhs-id',
            showRHSPlugin: {type: 'test/show_rhs'},
            hideRHSPlugin: {type: 'test/hide_rhs'},
            toggleRHSPlugin: TOGGLE_RHS,
        }),
        registerPostTypeComponent: recorder('registerPostTypeComponent', 'post-type-id'),
        registerAdminConsoleCustomSetting: recorder('registerAdminConsoleCustomSetting', undefined),
        registerSlashCommandWillBePostedHook: recorder('registerSlashCommandWillBePostedHook', 'hook-id'),
        registerWebSocketEventHandler: recorder('registerWebSocketEventHandler', undefined),
        registerReconnectHandler: recorder('registerReconnectHandler', undefined),
        registerReducer: recorder('registerReducer', undefined),
        registerPostMessageAttachmentComponent: recorder('registerPostMessageAttachmentComponent', 'attachment-id'),
        registerAppBarComponent: recorder('registerAppBarComponent', 'app-bar-id'),
        registerChannelToastComponent: recorder('registerChannelToastComponent', 'toast-id'),
        registerPostEditorActionComponent: recorder('registerPostEditorActionComponent', 'editor-action-id'),
        registerMessageWillBePostedHook: recorder('registerMessageWillBePostedHook', 'will-be-posted-id'),
    };
    for (const method of without) {
        delete registry[method];
    }

    const argsOf = (method: Method) => calls.filter((c) => c.method === method).map((c) => c.args);

    return {registry, calls, argsOf};
}

function setUp({without = [] as Method[], channelId = 'town-square', siteURL = 'https://chat.example.com/mm'} = {}) {
    const fake = createFakeRegistry(without);
    const store = makeStore({channelId, siteURL});
    const dispatch = jest.spyOn(store, 'dispatch');
    new Plugin().initialize(fake.registry, store as unknown as PluginStore);
    return {...fake, store, dispatch};
}

async function flush(ms = 0) {
    await act(async () => {
        await jest.advanceTimersByTimeAsync(ms);
    });
}

beforeEach(() => {
    // Not jest.clearAllMocks(): window.registerPlugin keeps the call made on import.
    for (const fn of Object.values(mocked)) {
        (fn as jest.Mock).mockClear();
    }
    jest.useFakeTimers({now: NOW});
    mocked.listLeads.mockResolvedValue({leads: [], now: NOW, settings: SETTINGS});
    mocked.getChannelLead.mockResolvedValue(null);
});

afterEach(() => {
    jest.useRealTimers();
});

describe('Plugin', () => {
    it('registers itself with Mattermost under the plugin id', () => {
        expect(window.registerPlugin).toHaveBeenCalledTimes(1);
        expect(window.registerPlugin).toHaveBeenCalledWith('social-inbox', expect.any(Plugin));
    });

    it('registers the reducer, sidebar, header button, lead channel views, guard, deliveries, console setting and live updates', () => {
        const {calls} = setUp();

        expect(calls.map((c) => c.method).sort()).toEqual([
            'registerAdminConsoleCustomSetting',
            'registerChannelHeaderButtonAction',
            'registerChannelToastComponent',
            'registerMessageWillBePostedHook',
            'registerPostEditorActionComponent',
            'registerPostMessageAttachmentComponent',
            'registerReconnectHandler',
            'registerReducer',
            'registerRightHandSidebarComponent',
            'registerWebSocketEventHandler',
            'registerWebSocketEventHandler',
        ]);
    });

    it('skips the registry calls an older Mattermost does not have', () => {
        const optional: Method[] = ['registerChannelToastComponent', 'registerPostEditorActionComponent', 'registerMessageWillBePostedHook'];
        const {calls} = setUp({without: optional});

        expect(calls.map((c) => c.method)).not.toEqual(expect.arrayContaining([expect.stringMatching(/Toast|EditorAction|WillBePosted/)]));
        expect(calls.some((c) => c.method === 'registerRightHandSidebarComponent')).toBe(true);
    });

    it('sends its requests to the site URL', () => {
        setUp();

        expect(mocked.setSiteURL).toHaveBeenCalledWith('https://chat.example.com/mm');
    });

    it('registers its reducer', () => {
        const {argsOf} = setUp();

        expect(argsOf('registerReducer')).toEqual([[reducer]]);
    });

    it('registers the inbox panel as its right-hand sidebar', () => {
        const {argsOf} = setUp();

        expect(argsOf('registerRightHandSidebarComponent')).toEqual([[InboxPanel, 'Social Inbox']]);
    });

    it('adds a labelled channel-header button, with the counts badge, that toggles the inbox sidebar', async () => {
        const {argsOf, store, dispatch} = setUp();

        const [[icon, action, dropdownText, tooltipText]] = argsOf('registerChannelHeaderButtonAction');
        expect(dropdownText).toBe('Social Inbox');
        expect(tooltipText).toBe('Open the Social Inbox');
        expect((icon as ReactElement).type).toBe(InboxIcon);

        mocked.listLeads.mockResolvedValue({leads: [makeLead('a'), makeLead('b')], now: NOW, settings: SETTINGS});
        render(<Provider store={store}>{icon as ReactElement}</Provider>);
        await flush();
        expect(screen.getByRole('img', {name: 'Social Inbox: 2 unclaimed, 0 at risk'})).toBeInTheDocument();

        (action as () => void)();
        expect(dispatch).toHaveBeenCalledWith(TOGGLE_RHS);
    });

    it('does not register an app-bar icon of its own, which would hide the header button and its counts', () => {
        const {calls} = setUp();

        expect(calls.some((c) => c.method === 'registerAppBarComponent')).toBe(false);
    });

    it('registers the lead banner, the composer notice, the delivery line and the console setting', () => {
        const {argsOf} = setUp();

        expect(argsOf('registerChannelToastComponent')).toEqual([[ChannelLeadBanner]]);
        expect(argsOf('registerPostEditorActionComponent')).toEqual([[ComposerGuard]]);
        expect(argsOf('registerPostMessageAttachmentComponent')).toEqual([[DeliveryState]]);
        expect(argsOf('registerAdminConsoleCustomSetting')).toEqual([['ConnectionStatus', ConnectionSettings, {showTitle: true}]]);
    });

    it('guards posts in blocked lead channels with the server reason', async () => {
        const {argsOf} = setUp();
        const [[hook]] = argsOf('registerMessageWillBePostedHook');
        mocked.getChannelLead.mockResolvedValue(makeLead('a', {send: {mode: 'blocked', reason: 'This lead is closed.'}}));

        const result = await (hook as MessageWillBePostedHook)({channel_id: 'channel-a', message: 'hi', type: ''} as Post);

        expect(result).toEqual({error: {message: 'This lead is closed.'}});
    });

    it('refetches a lead on its lead_updated event', async () => {
        const {argsOf, store} = setUp();

        const handlers = Object.fromEntries(argsOf('registerWebSocketEventHandler').map(([event, handler]) => [event, handler]));
        expect(Object.keys(handlers).sort()).toEqual(['custom_social-inbox_delivery_updated', 'custom_social-inbox_lead_updated']);

        mocked.getLead.mockResolvedValue(makeLead('lead1', {handoff: {state: 'claimed', owner_id: 'u1'}}));
        const msg: PluginWebSocketMessage<Record<string, unknown>> = {
            event: 'custom_social-inbox_lead_updated',
            data: {lead_id: 'lead1', channel_id: 'channel1'},
            broadcast: {omit_users: {}, user_id: '', channel_id: 'channel1', team_id: ''},
            seq: 7,
        };
        (handlers['custom_social-inbox_lead_updated'] as (m: typeof msg) => void)(msg);
        await flush(LEAD_UPDATE_COALESCE_MS);

        expect(mocked.getLead).toHaveBeenCalledWith('lead1');
        expect(getLead(store.getState(), 'lead1')?.handoff.state).toBe('claimed');
    });

    it('refetches the queue and the current channel\'s lead after a reconnect', async () => {
        const {argsOf, store} = setUp({channelId: 'channel-a'});

        const [[handler]] = argsOf('registerReconnectHandler');
        (handler as () => void)();
        await flush();

        expect(getLastReconnectAt(store.getState())).toBe(NOW);
        expect(mocked.listLeads).toHaveBeenCalledTimes(1);
        expect(mocked.getChannelLead).toHaveBeenCalledWith('channel-a');
    });
});
