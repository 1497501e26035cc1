import {act, fireEvent, render, screen, waitFor, within} from '@testing-library/react';
import React from 'react';

import client, {ApiError} from 'client';
import en from 'i18n/en.json';
import type {ConnectionInfo, ConnectionReport} from 'types';

import ConnectionSettings from './connection_settings';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mockedClient = client as jest.Mocked<typeof client>;

const info: ConnectionInfo = {
    webhook_url: 'https://mm.example.com/plugins/social-inbox/webhook/meta',
    verify_token: 'vT0k-3n_example-verify',
    site_url_set: true,
};

const report: ConnectionReport = {
    ok: false,
    checked_at: Date.UTC(2026, 10, 22, 12, 0),
    checks: [
        {id: 'settings', label: 'Settings filled in', status: 'pass', detail: 'Meta App ID, App Secret, Facebook Page ID and Page access token are set.'},
        {id: 'app_secret', label: 'App ID and App Secret', status: 'pass', detail: 'Meta accepted the App Secret of app 1438265907712354.'},
        {id: 'page_token', label: 'Page access token', status: 'pass', detail: 'A valid Page token.'},
        {id: 'token_expiry', label: 'Token expiry', status: 'warn', detail: 'The token expires on 25 Nov 2026 12:00 UTC (in 3 days).', fix: 'Replace it before then with a Page token that does not expire.'},
        {id: 'page', label: 'Facebook Page', status: 'pass', detail: 'Reached the Page “Treasure Valley Pools & Spas” (108245671983342).'},
        {id: 'instagram', label: 'Instagram account', status: 'skip', detail: 'Skipped: no Instagram account ID is set, so Instagram is not connected.'},
        {id: 'subscription', label: 'Webhook subscription', status: 'fail', detail: 'App 1438265907712354 is not subscribed to the Page.', fix: 'POST /108245671983342/subscribed_apps?subscribed_fields=messages,feed'},
        {id: 'webhook_url', label: 'Webhook URL', status: 'pass', detail: 'Meta must deliver to https://mm.example.com/plugins/social-inbox/webhook/meta.'},
    ],
};

function deferred<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return {promise, resolve, reject};
}

let writeText: jest.Mock;

beforeEach(() => {
    jest.clearAllMocks();
    mockedClient.getConnection.mockResolvedValue(info);
    writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', {value: {writeText}, configurable: true});
});

afterEach(() => {
    jest.useRealTimers();
});

async function renderLoaded(props: React.ComponentProps<typeof ConnectionSettings> = {}) {
    const view = render(<ConnectionSettings {...props}/>);
    await screen.findByLabelText('Webhook URL (Callback URL)');
    return view;
}

function checkItem(label: string): HTMLElement {
    const heading = screen.getByRole('heading', {name: new RegExp(`^${label} `)});
    return heading.closest('li') as HTMLElement;
}

describe('ConnectionSettings', () => {
    it('shows the webhook URL and the verify token read-only, the token masked', async () => {
        await renderLoaded();

        const url = screen.getByLabelText('Webhook URL (Callback URL)');
        expect(url).toHaveValue(info.webhook_url);
        expect(url).toHaveAttribute('readonly');

        const token = screen.getByLabelText('Verify token');
        expect(token).toHaveValue(info.verify_token);
        expect(token).toHaveAttribute('readonly');
        expect(token).toHaveAttribute('type', 'password');
        expect(screen.queryByText(/Site URL is not set/)).not.toBeInTheDocument();
    });

    it('shows and hides the verify token', async () => {
        await renderLoaded();
        const token = screen.getByLabelText('Verify token');

        fireEvent.click(screen.getByRole('button', {name: 'Show the verify token'}));
        expect(token).toHaveAttribute('type', 'text');

        fireEvent.click(screen.getByRole('button', {name: 'Hide the verify token'}));
        expect(token).toHaveAttribute('type', 'password');
    });

    it('copies the webhook URL and says so, for a while', async () => {
        jest.useFakeTimers();
        await renderLoaded();

        fireEvent.click(screen.getByRole('button', {name: 'Copy the webhook URL'}));

        expect(await screen.findByText('Copied')).toBeVisible();
        expect(writeText).toHaveBeenCalledWith(info.webhook_url);

        act(() => {
            jest.advanceTimersByTime(3000);
        });
        expect(screen.queryByText('Copied')).not.toBeInTheDocument();
    });

    it('copies the real verify token even while it is masked', async () => {
        await renderLoaded();

        fireEvent.click(screen.getByRole('button', {name: 'Copy the verify token'}));

        const status = await screen.findByText('Copied');
        expect(writeText).toHaveBeenCalledWith(info.verify_token);
        expect(status).toHaveAttribute('role', 'status');
        expect(screen.getByLabelText('Verify token')).toHaveAttribute('type', 'password');
    });

    it('says when the text could not be copied', async () => {
        writeText.mockRejectedValue(new Error('not allowed'));
        await renderLoaded();

        fireEvent.click(screen.getByRole('button', {name: 'Copy the webhook URL'}));

        expect(await screen.findByText('Could not copy. Select the text and copy it yourself.')).toBeVisible();
    });

    it('warns when the Site URL is not set', async () => {
        mockedClient.getConnection.mockResolvedValue({...info, webhook_url: '/plugins/social-inbox/webhook/meta', site_url_set: false});
        await renderLoaded();

        expect(screen.getByText(/The Site URL is not set, so this webhook address is incomplete/)).toBeVisible();
        expect(screen.getByText(/Environment > Web Server > Site URL/)).toBeInTheDocument();
    });

    it("shows the server's sentence when the settings cannot be loaded", async () => {
        mockedClient.getConnection.mockRejectedValue(new ApiError('Only system admins can see or test the Meta connection.', 403));
        render(<ConnectionSettings/>);

        expect(await screen.findByRole('alert')).toHaveTextContent(
            'The webhook settings could not be loaded: Only system admins can see or test the Meta connection.',
        );
        expect(screen.queryByLabelText('Verify token')).not.toBeInTheDocument();
    });

    it('says that unsaved settings must be saved before testing', async () => {
        await renderLoaded();

        expect(screen.getByRole('button', {name: 'Test connection'})).toHaveAccessibleDescription(
            'Save your changes before testing: the test uses the saved settings.',
        );
    });

    it('tests the connection: "Checking…" and disabled while it runs, then every check', async () => {
        const pending = deferred<ConnectionReport>();
        mockedClient.checkConnection.mockReturnValue(pending.promise);
        await renderLoaded();

        const results = screen.getByRole('region', {name: 'Connection check results'});
        expect(results).toHaveAttribute('aria-live', 'polite');

        fireEvent.click(screen.getByRole('button', {name: 'Test connection'}));

        const busy = screen.getByRole('button', {name: 'Checking…'});
        expect(busy).toBeDisabled();
        expect(results).toHaveAttribute('aria-busy', 'true');
        expect(mockedClient.checkConnection).toHaveBeenCalledTimes(1);

        await act(async () => {
            pending.resolve(report);
        });

        expect(screen.getByRole('button', {name: 'Test connection'})).toBeEnabled();
        expect(results).toHaveAttribute('aria-busy', 'false');
        expect(within(results).getByText(/Failed checks: 1 of 8\./)).toBeInTheDocument();
        expect(within(results).getAllByRole('listitem')).toHaveLength(8);

        // Status in words, not colour alone; the detail; the fix.
        const sub = checkItem('Webhook subscription');
        expect(within(sub).getByRole('heading')).toHaveTextContent('Webhook subscription Failed');
        expect(sub).toHaveTextContent('App 1438265907712354 is not subscribed to the Page.');
        expect(sub).toHaveTextContent('How to fix: POST /108245671983342/subscribed_apps?subscribed_fields=messages,feed');
        expect(within(sub).getByText('✕')).toHaveAttribute('aria-hidden', 'true');

        expect(within(checkItem('Token expiry')).getByRole('heading')).toHaveTextContent('Token expiry Warning');
        expect(within(checkItem('Instagram account')).getByRole('heading')).toHaveTextContent('Instagram account Skipped');
        const page = checkItem('Facebook Page');
        expect(within(page).getByRole('heading')).toHaveTextContent('Facebook Page Passed');
        expect(page).toHaveTextContent('Reached the Page “Treasure Valley Pools & Spas” (108245671983342).');
        expect(page).not.toHaveTextContent('How to fix:');
    });

    it('sums up a clean report and one with warnings only', async () => {
        const clean: ConnectionReport = {...report, ok: true, checks: report.checks.map((c) => ({...c, status: 'pass', fix: undefined}))};
        mockedClient.checkConnection.mockResolvedValue(clean);
        await renderLoaded();

        fireEvent.click(screen.getByRole('button', {name: 'Test connection'}));
        expect(await screen.findByText('All checks passed.')).toBeInTheDocument();

        const warned: ConnectionReport = {...clean, checks: clean.checks.map((c) => (c.id === 'token_expiry' ? {...c, status: 'warn'} : c))};
        mockedClient.checkConnection.mockResolvedValue(warned);
        fireEvent.click(screen.getByRole('button', {name: 'Test connection'}));
        expect(await screen.findByText('No check failed, but some need attention.')).toBeInTheDocument();
    });

    it("shows the server's sentence when the check cannot run", async () => {
        mockedClient.checkConnection.mockRejectedValue(new ApiError('Only system admins can see or test the Meta connection.', 403));
        await renderLoaded();

        fireEvent.click(screen.getByRole('button', {name: 'Test connection'}));

        const results = screen.getByRole('region', {name: 'Connection check results'});
        expect(await within(results).findByText(
            'The connection could not be tested: Only system admins can see or test the Meta connection.',
        )).toBeVisible();
        expect(screen.getByRole('button', {name: 'Test connection'})).toBeEnabled();
    });

    it('gives keyboard focus back to the button after a check', async () => {
        mockedClient.checkConnection.mockResolvedValue(report);
        await renderLoaded();
        const button = screen.getByRole('button', {name: 'Test connection'});
        button.focus();

        fireEvent.click(button);
        await screen.findByText(/Failed checks/);

        await waitFor(() => expect(screen.getByRole('button', {name: 'Test connection'})).toHaveFocus());
    });

    it('uses real buttons and keeps focus visible', async () => {
        const {container} = await renderLoaded();

        for (const button of screen.getAllByRole('button')) {
            expect(button.tagName).toBe('BUTTON');
            expect(button).toHaveAttribute('type', 'button');
        }
        expect(container.querySelector('style')?.textContent).toContain(':focus-visible');
    });

    it('shows the help text the System Console passes', async () => {
        await renderLoaded({helpText: <span>{'Paste these into Meta.'}</span>});

        expect(screen.getByText('Paste these into Meta.')).toBeInTheDocument();
    });

    it('takes every string from the catalogue under admin.connection.', () => {
        const keys = Object.keys(en).filter((k) => k.startsWith('admin.connection.'));
        expect(keys.length).toBeGreaterThan(20);
        for (const k of keys) {
            expect(en[k as keyof typeof en]).not.toBe('');
        }
    });
});
