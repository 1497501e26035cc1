import {Client4} from 'mattermost-redux/client';
import {getConfig} from 'mattermost-redux/selectors/entities/general';
import React from 'react';

import client from 'client';
import ConnectionSettings from 'components/admin/connection_settings';
import ChannelLeadBanner from 'components/channel_lead_banner';
import ComposerGuard from 'components/composer_guard';
import InboxIcon from 'components/inbox_icon';
import InboxPanel from 'components/inbox_panel';
import DeliveryState from 'deliveries/delivery_state';
import {DELIVERY_UPDATED_EVENT, handleDeliveryUpdated} from 'deliveries/websocket';
import {t} from 'i18n';
import {createMessageWillBePostedHook} from 'inbox/message_guard';
import manifest from 'manifest';
import reducer from 'reducer';
import type {MattermostPlugin, PluginRegistry, PluginStore} from 'types/mattermost-webapp';
import {LEAD_UPDATED_EVENT, handleLeadUpdated, handleReconnect} from 'websocket';

// Wiring only: what the plugin adds to Mattermost. The behaviour lives in the modules
// imported above.
export class Plugin implements MattermostPlugin {
    public initialize(registry: PluginRegistry, store: PluginStore): void {
        // Requests must reach the server under its subpath, if it has one.
        const siteURL = getConfig(store.getState())?.SiteURL ?? '';
        client.setSiteURL(siteURL);
        if (siteURL) {
            Client4.setUrl(siteURL);
        }

        registry.registerReducer(reducer);

        // The inbox: a right-hand sidebar opened from one button. Mattermost shows a
        // channel-header button in the app bar when the app bar is on, rendering its icon
        // element there, and in the channel header otherwise, so the counts badge shows
        // in either place. An app-bar registration of our own would only take a static
        // image URL and would make Mattermost hide this button (and its counts).
        const {toggleRHSPlugin} = registry.registerRightHandSidebarComponent(InboxPanel, t('rhs.title'));
        const toggleInbox = () => {
            store.dispatch(toggleRHSPlugin);
        };
        registry.registerChannelHeaderButtonAction(
            <InboxIcon/>,
            toggleInbox,
            t('channel_header.button.label'),
            t('channel_header.button.tooltip'),
        );

        // The lead channel: a one-line banner over the posts, and the composer guard.
        if (registry.registerChannelToastComponent) {
            registry.registerChannelToastComponent(ChannelLeadBanner);
        }
        if (registry.registerPostEditorActionComponent) {
            registry.registerPostEditorActionComponent(ComposerGuard);
        }
        if (registry.registerMessageWillBePostedHook) {
            registry.registerMessageWillBePostedHook(createMessageWillBePostedHook(store));
        }

        // Delivery state of replies, under each post (src/deliveries).
        registry.registerPostMessageAttachmentComponent(DeliveryState);

        // Live updates. Mattermost keeps one reconnect handler per plugin: handleReconnect
        // refetches the queue, the current channel's lead and the deliveries.
        registry.registerWebSocketEventHandler(LEAD_UPDATED_EVENT, handleLeadUpdated(store));
        registry.registerWebSocketEventHandler(DELIVERY_UPDATED_EVENT, handleDeliveryUpdated(store));
        registry.registerReconnectHandler(handleReconnect(store));

        // System Console: the webhook values to give Meta, and the connection check.
        registry.registerAdminConsoleCustomSetting('ConnectionStatus', ConnectionSettings, {showTitle: true});
    }
}

window.registerPlugin(manifest.id, new Plugin());
