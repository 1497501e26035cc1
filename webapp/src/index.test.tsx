import {render, screen} from '@testing-library/react';
import type {ReactElement} from 'react';

import type {GlobalState} from '@mattermost/types/store';

import {leadUpdated, websocketReconnected} from 'actions';
import InboxIcon from 'components/inbox_icon';
import InboxPanel from 'components/inbox_panel';
import reducer from 'reducer';
import type {PluginRegistry, PluginStore, PluginWebSocketMessage} from 'types/mattermost-webapp';

import {Plugin} from './index';

const TOGGLE_RHS = {type: 'test/toggle_rhs'};

type RecordedCall = {method: keyof PluginRegistry; args: unknown[]};

// A stand-in for the host's registry that records every call, so the tests can assert
// on what the plugin registered and invoke the callbacks it handed over.
function createFakeRegistry() {
    const calls: RecordedCall[] = [];
    const recorder = <R, >(method: keyof PluginRegistry, result: R) => (...args: unknown[]): R => {
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
    };

    const argsOf = (method: keyof PluginRegistry) => calls.filter((c) => c.method === method).map((c) => c.args);

    return {registry, calls, argsOf};
}

function setUp() {
    const fake = createFakeRegistry();
    const store: PluginStore = {
        dispatch: jest.fn(),
        getState: () => ({} as GlobalState),
    };
    new Plugin().initialize(fake.registry, store);
    return {...fake, store};
}

describe('Plugin', () => {
    it('registers itself with Mattermost under the plugin id', () => {
        expect(window.registerPlugin).toHaveBeenCalledTimes(1);
        expect(window.registerPlugin).toHaveBeenCalledWith('social-inbox', expect.any(Plugin));
    });

    it('registers exactly the reducer, sidebar, header button, websocket and reconnect handlers', () => {
        const {calls} = setUp();

        expect(calls.map((c) => c.method).sort()).toEqual([
            'registerChannelHeaderButtonAction',
            'registerReconnectHandler',
            'registerReducer',
            'registerRightHandSidebarComponent',
            'registerWebSocketEventHandler',
        ]);
    });

    it('registers its reducer', () => {
        const {argsOf} = setUp();

        expect(argsOf('registerReducer')).toEqual([[reducer]]);
    });

    it('registers the inbox panel as its right-hand sidebar', () => {
        const {argsOf} = setUp();

        expect(argsOf('registerRightHandSidebarComponent')).toEqual([[InboxPanel, 'Social Inbox']]);
    });

    it('adds a labelled channel-header button that toggles the inbox sidebar', () => {
        const {argsOf, store} = setUp();

        const [[icon, action, dropdownText, tooltipText]] = argsOf('registerChannelHeaderButtonAction');
        expect(dropdownText).toBe('Social Inbox');
        expect(tooltipText).toBe('Open the Social Inbox');
        expect((icon as ReactElement).type).toBe(InboxIcon);

        render(icon as ReactElement);
        expect(screen.getByRole('img', {name: 'Social Inbox'})).toBeInTheDocument();

        (action as () => void)();
        expect(store.dispatch).toHaveBeenCalledWith(TOGGLE_RHS);
    });

    it('records lead_updated websocket events in its state', () => {
        const {argsOf, store} = setUp();

        const [[event, handler]] = argsOf('registerWebSocketEventHandler');
        expect(event).toBe('custom_social-inbox_lead_updated');

        const msg: PluginWebSocketMessage<Record<string, unknown>> = {
            event: 'custom_social-inbox_lead_updated',
            data: {lead_id: 'lead1', state: 'claimed'},
            broadcast: {omit_users: {}, user_id: '', channel_id: 'channel1', team_id: ''},
            seq: 7,
        };
        (handler as (m: typeof msg) => void)(msg);

        expect(store.dispatch).toHaveBeenCalledTimes(1);
        const [action] = (store.dispatch as jest.Mock).mock.calls[0];
        expect(action).toEqual(leadUpdated({lead_id: 'lead1', state: 'claimed'}, 'channel1', expect.any(Number)));
        expect(reducer(undefined, action).lastLeadUpdate).toMatchObject({
            data: {lead_id: 'lead1', state: 'claimed'},
            channelId: 'channel1',
        });
    });

    it('records websocket reconnects so views can refetch', () => {
        const {argsOf, store} = setUp();

        const [[handler]] = argsOf('registerReconnectHandler');
        (handler as () => void)();

        expect(store.dispatch).toHaveBeenCalledWith(websocketReconnected(expect.any(Number)));
    });
});
