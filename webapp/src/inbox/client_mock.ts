// The module factory for jest.mock('client') in the webapp's tests: the real ApiError
// and Client class, and a default client whose every method is a jest.fn. It imports
// nothing, so a mock factory can require it while 'client' is being mocked.
//
//     jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());
export function clientModuleMock() {
    const actual = jest.requireActual('client');
    return {
        __esModule: true,
        ApiError: actual.ApiError,
        Client: actual.Client,
        default: {
            setSiteURL: jest.fn(),
            listLeads: jest.fn(),
            getLead: jest.fn(),
            getChannelLead: jest.fn(),
            leadAction: jest.fn(),
            getDeliveries: jest.fn(async () => ({})),
            retryDelivery: jest.fn(),
            listOperators: jest.fn(async () => []),
            getConnection: jest.fn(),
            checkConnection: jest.fn(),
        },
    };
}
