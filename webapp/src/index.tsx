import React from 'react';

import manifest from 'manifest';

import InboxIcon from 'components/inbox_icon';
import InboxPanel from 'components/inbox_panel';
import {t} from 'i18n';
import reducer from 'reducer';
import type {MattermostPlugin, PluginRegistry, PluginStore} from 'types/mattermost-webapp';
import {LEAD_UPDATED_EVENT, handleLeadUpdated, handleReconnect} from 'websocket';

export class Plugin implements MattermostPlugin {
    public initialize(registry: PluginRegistry, store: PluginStore): void {
        registry.registerReducer(reducer);

        const {toggleRHSPlugin} = registry.registerRightHandSidebarComponent(InboxPanel, t('rhs.title'));
        registry.registerChannelHeaderButtonAction(
            <InboxIcon/>,
            () => store.dispatch(toggleRHSPlugin),
            t('channel_header.button.label'),
            t('channel_header.button.tooltip'),
        );

        registry.registerWebSocketEventHandler(LEAD_UPDATED_EVENT, handleLeadUpdated(store));
        registry.registerReconnectHandler(handleReconnect(store));
    }
}

window.registerPlugin(manifest.id, new Plugin());
