import {render, screen} from '@testing-library/react';
import React from 'react';

import InboxPanel from './inbox_panel';

describe('InboxPanel', () => {
    it('is a region labelled by its "Social Inbox" heading', () => {
        render(<InboxPanel/>);

        const heading = screen.getByRole('heading', {level: 2, name: 'Social Inbox'});
        expect(heading).toBeInTheDocument();
        expect(screen.getByRole('region', {name: 'Social Inbox'})).toContainElement(heading);
    });

    it('explains that leads appear as private channels named after the buyer', () => {
        render(<InboxPanel/>);

        expect(screen.getByText('Leads appear as private channels named after the buyer.')).toBeInTheDocument();
    });

    it('points to /social help for the commands', () => {
        render(<InboxPanel/>);

        const command = screen.getByText('/social help');
        expect(command.tagName).toBe('CODE');
        expect(command.parentElement).toHaveTextContent('Type /social help in any channel to see what you can do.');
    });
});
