package mmfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// ---- slash commands (srv:app/plugin_commands.go:16-62) ----

// RegisterCommand registers a slash command on this node. The trigger is lower-cased,
// autocomplete data is validated and its relative URLs are rewritten to
// /plugins/<id>/...; registering the same trigger and team again replaces the entry.
func (a *API) RegisterCommand(command *model.Command) error {
	const m = "RegisterCommand"
	if failed, err := a.enter(m); failed {
		return err
	}
	c, ok := rpcArg(a, m, command)
	if !ok {
		return nil
	}
	if c == nil || c.Trigger == "" {
		return errors.New("invalid command")
	}
	if c.AutocompleteData != nil {
		if err := c.AutocompleteData.IsValid(); err != nil {
			return fmt.Errorf("invalid autocomplete data in command: %w", err)
		}
		baseURL, err := url.Parse("/plugins/" + a.pluginID)
		if err != nil {
			return fmt.Errorf("failed to parse base url: %w", err)
		}
		if err := c.AutocompleteData.UpdateRelativeURLsForPluginCommands(baseURL); err != nil {
			return fmt.Errorf("failed to update relative urls for plugin commands: %w", err)
		}
	} else {
		c.AutocompleteData = model.NewAutocompleteData(c.Trigger, c.AutoCompleteHint, c.AutoCompleteDesc)
	}
	registered := &model.Command{
		Trigger:              strings.ToLower(c.Trigger),
		TeamId:               c.TeamId,
		AutoComplete:         c.AutoComplete,
		AutoCompleteDesc:     c.AutoCompleteDesc,
		AutoCompleteHint:     c.AutoCompleteHint,
		DisplayName:          c.DisplayName,
		AutocompleteData:     c.AutocompleteData,
		AutocompleteIconData: c.AutocompleteIconData,
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for i, existing := range a.commands {
		if existing.Trigger == registered.Trigger && existing.TeamId == registered.TeamId {
			a.commands[i] = registered
			return nil
		}
	}
	a.commands = append(a.commands, registered)
	return nil
}

// UnregisterCommand removes this node's command with that trigger and team.
func (a *API) UnregisterCommand(teamID, trigger string) error {
	if failed, err := a.enter("UnregisterCommand"); failed {
		return err
	}
	trigger = strings.ToLower(trigger)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.commands = slices.DeleteFunc(a.commands, func(c *model.Command) bool {
		return c.Trigger == trigger && c.TeamId == teamID
	})
	return nil
}

// ---- websocket and cluster events ----

// PublishWebSocketEvent records the event as custom_<pluginid>_<event>.
func (a *API) PublishWebSocketEvent(event string, payload map[string]any, broadcast *model.WebsocketBroadcast) {
	const m = "PublishWebSocketEvent"
	if failed, _ := a.enter(m); failed {
		return
	}
	p, err := rpcCopyMap(payload)
	if err != nil {
		a.rpcFailed(m, err)
		return
	}
	b, ok := rpcArg(a, m, broadcast)
	if !ok {
		return
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.s.wsEvents = append(a.s.wsEvents, WebSocketEvent{
		PluginID:  a.pluginID,
		NodeID:    a.nodeID,
		Event:     event,
		Type:      fmt.Sprintf("custom_%v_%v", a.pluginID, event),
		Payload:   p,
		Broadcast: b,
	})
}

// PublishPluginClusterEvent delivers the event to the cluster event handlers of the
// other nodes of this plugin (only to the node opts.TargetId when set), synchronously,
// before returning. It never reaches the sender.
func (a *API) PublishPluginClusterEvent(ev model.PluginClusterEvent, opts model.PluginClusterEventSendOptions) error {
	if failed, err := a.enter("PublishPluginClusterEvent"); failed {
		return err
	}
	a.s.mu.Lock()
	var handlers []func(model.PluginClusterEvent)
	found := false
	for _, n := range a.s.nodes {
		if n == a || n.pluginID != a.pluginID || (opts.TargetId != "" && n.nodeID != opts.TargetId) {
			continue
		}
		found = true
		if n.clusterHandler != nil {
			handlers = append(handlers, n.clusterHandler)
		}
	}
	a.s.mu.Unlock()
	if opts.TargetId != "" && !found {
		return fmt.Errorf("failed to send message to cluster node %q: %w", opts.TargetId, errors.New("unknown node"))
	}
	for _, h := range handlers {
		h(model.PluginClusterEvent{Id: ev.Id, Data: wire(ev.Data)})
	}
	return nil
}

// ---- inter-plugin HTTP ----

// PluginHTTP sends the request to another plugin: the path must be
// /<plugin-id>/<rest>; the target sees /<rest> with Mattermost-Plugin-ID set to this
// plugin and no Mattermost-User-Id. Targets are registered with
// Server.SetPluginHTTPHandler; an unknown plugin answers 404. The request's context is
// not forwarded, as over the real RPC.
func (a *API) PluginHTTP(request *http.Request) *http.Response {
	if failed, _ := a.enter("PluginHTTP"); failed {
		return nil
	}
	if request == nil || request.URL == nil {
		return textResponse(http.StatusBadRequest, "Not enough URL. Form of URL should be /<pluginid>/*")
	}
	split := strings.SplitN(request.URL.Path, "/", 3)
	if len(split) != 3 {
		return textResponse(http.StatusBadRequest, "Not enough URL. Form of URL should be /<pluginid>/*")
	}
	dest := split[1]
	newURL, err := url.Parse("/" + split[2])
	if dest == "" || err != nil {
		msg := "No plugin specified. Form of URL should be /<pluginid>/*"
		if err != nil {
			msg = "Form of URL should be /<pluginid>/* Error: " + err.Error()
		}
		return textResponse(http.StatusBadRequest, msg)
	}
	newURL.RawQuery = request.URL.Query().Encode()

	a.s.mu.Lock()
	h := a.s.httpHandlers[dest]
	a.s.mu.Unlock()
	if h == nil {
		return textResponse(http.StatusNotFound, "plugin not found: "+dest)
	}
	inner := request.Clone(context.Background())
	inner.URL = newURL
	inner.RequestURI = ""
	inner.Header.Del("Mattermost-User-Id")
	inner.Header.Set("Mattermost-Plugin-ID", a.pluginID)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, inner)
	return rec.Result()
}

func textResponse(status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status,
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:     http.Header{"Content-Type": []string{"text/plain; charset=utf-8"}},
		Body:       io.NopCloser(bytes.NewBufferString(body)),
	}
}
