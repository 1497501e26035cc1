// Typed subset of the Mattermost webapp PluginRegistry: the calls this plugin makes
// today plus the ones the inbox will grow into. Signatures follow the host's registry
// (mattermost/mattermost: webapp/channels/src/plugins/registry.ts); only the positional
// forms are declared. Add a method here before using it, so every registry call stays typed.

import type React from 'react';

import type {BaseWebSocketMessage} from '@mattermost/client';
import type {Channel, ChannelMembership} from '@mattermost/types/channels';
import type {Post} from '@mattermost/types/posts';
import type {ProductScope} from '@mattermost/types/products';
import type {GlobalState} from '@mattermost/types/store';

export type UniqueIdentifier = string;

// What the registry accepts where it renders something: an element or a component.
export type ReactResolvable = React.ReactNode | React.ElementType;

// Actions handed out by the registry (e.g. toggleRHSPlugin) are thunks or plain
// objects depending on the Mattermost version; treat them as opaque and only dispatch them.
export type RegistryAction = object;

// The slice of the host's redux store a plugin gets in initialize().
export type PluginStore = {
    dispatch(action: RegistryAction): unknown;
    getState(): GlobalState;
};

// A reducer registered with registerReducer; its state lives at
// state['plugins-<plugin id>'] in the host store.
export type PluginReducer<S> = (state: S | undefined, action: {type: string}) => S;

export type PluginWebSocketMessage<T> = BaseWebSocketMessage<string, T>;

export type ChannelHeaderButtonAction = (channel: Channel, channelMember?: ChannelMembership) => void;

export type RightHandSidebarRegistration = {
    id: UniqueIdentifier;
    showRHSPlugin: RegistryAction;
    hideRHSPlugin: RegistryAction;
    toggleRHSPlugin: RegistryAction;
};

// Props Mattermost passes to a component registered with registerPostTypeComponent.
export type PostTypeComponentProps = {
    post: Post;
    isRHS?: boolean;
    compactDisplay?: boolean;
    theme?: Record<string, string>;
};

// Props Mattermost passes to a component registered with registerAdminConsoleCustomSetting.
export type AdminConsoleCustomSettingProps<T = unknown> = {
    id: string;
    label: string;
    helpText: React.ReactNode;
    value: T;
    disabled: boolean;
    setByEnv: boolean;
    onChange: (id: string, value: T) => void;
    setSaveNeeded: () => void;
    registerSaveAction: (action: () => Promise<{error?: {message?: string}}>) => void;
    unRegisterSaveAction: (action: () => Promise<{error?: {message?: string}}>) => void;
};

export type SlashCommandContextArgs = {
    channel_id: string;
    team_id: string;
    root_id?: string;
};

// Return {message, args} to send (possibly rewritten), {error} to reject with a
// message shown to the user, or {} to swallow the command.
export type SlashCommandWillBePostedResult =
    | {message: string; args: SlashCommandContextArgs}
    | {error: {message: string}}
    | Record<string, never>;

export type SlashCommandWillBePostedHook = (
    message: string,
    args: SlashCommandContextArgs,
) => SlashCommandWillBePostedResult | Promise<SlashCommandWillBePostedResult>;

// Return {post} to send it (possibly changed) or {error: {message}} to keep the draft
// and show the message to the user.
export type MessageWillBePostedResult = {post: Post} | {error: {message: string}};

export type MessageWillBePostedHook = (post: Post) => MessageWillBePostedResult | Promise<MessageWillBePostedResult>;

// Props Mattermost passes to a component registered with registerPostEditorActionComponent
// (the formatting bar of the message box). draft is the host's PostDraft; only the
// fields read here are typed.
export type PostEditorActionProps = {
    draft?: {channelId?: string; rootId?: string; message?: string};
    getSelectedText?: () => {start?: number; end?: number};
    updateText?: (message: string) => void;
};

// Props Mattermost passes to a component registered with registerPostMessageAttachmentComponent.
export type PostMessageAttachmentProps = {
    postId: string;
    onHeightChange?: (height: number) => void;
};

export interface PluginRegistry {

    // Adds a button to the channel header (or the plugin dropdown when several
    // plugins register one). Returns an id for unregisterComponent.
    registerChannelHeaderButtonAction(
        icon: ReactResolvable,
        action: ChannelHeaderButtonAction,
        dropdownText: ReactResolvable,
        tooltipText: ReactResolvable,
    ): UniqueIdentifier;

    // Registers a right-hand sidebar; dispatch the returned actions to open, close or toggle it.
    registerRightHandSidebarComponent(
        component: React.ElementType,
        title: ReactResolvable,
    ): RightHandSidebarRegistration;

    // Renders posts whose type is typeName (must start with "custom_").
    registerPostTypeComponent(
        typeName: string,
        component: React.ComponentType<PostTypeComponentProps>,
    ): UniqueIdentifier;

    // Replaces the System Console input for settings_schema setting `key` (type "custom").
    registerAdminConsoleCustomSetting(
        key: string,
        component: React.ComponentType<AdminConsoleCustomSettingProps>,
        options?: {showTitle?: boolean},
    ): void;

    // Runs before a slash command typed by the user is sent to the server.
    registerSlashCommandWillBePostedHook(hook: SlashCommandWillBePostedHook): UniqueIdentifier;

    // Plugin events arrive as "custom_<plugin id>_<event>".
    registerWebSocketEventHandler<T = Record<string, unknown>>(
        event: string,
        handler: (msg: PluginWebSocketMessage<T>) => void,
    ): void;

    // Called after the websocket reconnects; events sent while disconnected are lost.
    registerReconnectHandler(handler: () => void): void;

    registerReducer<S>(reducer: PluginReducer<S>): void;

    // Renders under the message of every post (props: PostMessageAttachmentProps).
    registerPostMessageAttachmentComponent(component: React.ElementType): UniqueIdentifier;

    // The methods below are newer, internal or absent on some Mattermost versions and
    // clients, so they are optional: call them only when present.

    // An icon in the app bar (the right-hand column of icons). action gets the current
    // channel and membership; supportedProductIds null means Channels.
    registerAppBarComponent?(
        iconUrl: string,
        action: ChannelHeaderButtonAction,
        tooltipText: ReactResolvable,
        supportedProductIds?: ProductScope,
    ): UniqueIdentifier;

    // INTERNAL in Mattermost: rendered at the top of the center channel's post list, in
    // place of a channel toast, with no props.
    registerChannelToastComponent?(component: React.ElementType): UniqueIdentifier;

    // A component in the message box's formatting bar.
    registerPostEditorActionComponent?(
        component: React.ElementType<PostEditorActionProps>,
    ): UniqueIdentifier;

    // Runs before a post typed by the user is sent; an async hook holds the post until it resolves.
    registerMessageWillBePostedHook?(hook: MessageWillBePostedHook): UniqueIdentifier;
}

export interface MattermostPlugin {
    initialize(registry: PluginRegistry, store: PluginStore): void | Promise<void>;
    uninitialize?(): void;
}

// What the host exposes as window.WebappUtils; only browserHistory (react-router's
// history, whose basename already includes the site's subpath) is used here.
export type WebappUtils = {
    browserHistory: {push(path: string): void};
};

declare global {
    interface Window {
        registerPlugin(pluginId: string, plugin: MattermostPlugin): void;
        WebappUtils?: WebappUtils;
    }
}
