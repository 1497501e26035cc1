package mmfake

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"reflect"
	"sync"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
)

// API is one plugin instance's view of the fake server (one "HA node"). It implements
// plugin.API: the embedded interface is nil, so methods the fake does not override
// panic when called.
type API struct {
	plugin.API

	s        *Server
	pluginID string
	nodeID   string

	// Guarded by s.mu.
	clusterHandler func(model.PluginClusterEvent)
	commands       []*model.Command
}

// NodeID identifies this node, e.g. as PluginClusterEventSendOptions.TargetId.
func (a *API) NodeID() string { return a.nodeID }

// Server returns the shared server behind this node.
func (a *API) Server() *Server { return a.s }

// SetClusterEventHandler registers the node's receiver for PublishPluginClusterEvent,
// typically a call to the plugin's OnPluginClusterEvent hook. nil unregisters it (a node
// that is down receives nothing).
func (a *API) SetClusterEventHandler(fn func(model.PluginClusterEvent)) {
	a.s.mu.Lock()
	a.clusterHandler = fn
	a.s.mu.Unlock()
}

// Commands returns copies of the slash commands registered on this node.
func (a *API) Commands() []*model.Command {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	out := make([]*model.Command, len(a.commands))
	for i, c := range a.commands {
		out[i] = mustRPCCopy(c)
	}
	return out
}

// enter counts one call of method and consumes a pending fault. When failed is true the
// method must return at once: with err converted to its error type, or with its zero
// values when err is nil.
func (a *API) enter(method string) (failed bool, err error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	f := s.faults[method]
	if f == nil {
		return false, nil
	}
	f.remaining--
	if f.remaining <= 0 {
		delete(s.faults, method)
	}
	return true, f.err
}

// rpcFailed records a failed plugin RPC call the way the generated RPC client reports
// it: a line on stderr (the plugin's log) and here a log entry with Source "rpc".
func (a *API) rpcFailed(method string, err error) {
	msg := fmt.Sprintf("RPC call to %s API failed: %s", method, err.Error())
	log.Printf("mmfake: %s", msg)
	a.s.log(LogEntry{Source: "rpc", Level: "error", Message: msg, PluginID: a.pluginID, NodeID: a.nodeID})
}

// rpcArg copies an argument across the simulated RPC boundary. ok is false when gob
// cannot encode it; the caller must then return its zero values, as the real RPC
// client does.
func rpcArg[T any](a *API, method string, v *T) (c *T, ok bool) {
	c, err := rpcCopy(v)
	if err != nil {
		a.rpcFailed(method, err)
		return nil, false
	}
	return c, true
}

// rpcCopy deep-copies v with a gob round trip, the encoding of the plugin RPC. Like
// gob, it turns empty slices and maps inside structs into nil.
func rpcCopy[T any](v *T) (*T, error) {
	if v == nil {
		return nil, nil
	}
	c := codecFor(reflect.TypeFor[T]())
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enc.Encode(v); err != nil {
		c.reset()
		return nil, err
	}
	out := new(T)
	if err := c.dec.Decode(out); err != nil {
		c.reset()
		return nil, err
	}
	return out, nil
}

// codec is a gob stream kept open per type, like the plugin RPC connection: type
// descriptors are sent once instead of on every copy, which keeps the fake cheap
// enough for benchmarks. Each Encode is immediately decoded, so the stream never holds
// more than one value; after an error the stream is discarded.
type codec struct {
	mu  sync.Mutex
	buf bytes.Buffer
	enc *gob.Encoder
	dec *gob.Decoder
}

func (c *codec) reset() {
	c.buf.Reset()
	c.enc = gob.NewEncoder(&c.buf)
	c.dec = gob.NewDecoder(&c.buf)
}

var codecs sync.Map // reflect.Type -> *codec

func codecFor(t reflect.Type) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	c := &codec{}
	c.reset()
	actual, _ := codecs.LoadOrStore(t, c)
	return actual.(*codec)
}

// mustRPCCopy copies a value the fake itself built, which gob can always encode.
func mustRPCCopy[T any](v *T) *T {
	c, err := rpcCopy(v)
	if err != nil {
		panic(fmt.Sprintf("mmfake: copying %T: %v", v, err))
	}
	return c
}

type mapBox struct{ M map[string]any }

// rpcCopyMap copies a map[string]any as the RPC does.
func rpcCopyMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	c, err := rpcCopy(&mapBox{M: m})
	if err != nil {
		return nil, err
	}
	return c.M, nil
}

func mustRPCCopyMap(m map[string]any) map[string]any {
	c, err := rpcCopyMap(m)
	if err != nil {
		panic(fmt.Sprintf("mmfake: copying map: %v", err))
	}
	return c
}

// jsonNormalize copies a map through JSON, the way the server persists JSON columns
// (post props, plugin settings): numbers become float64, structs and typed slices
// become map[string]any and []any.
func jsonNormalize(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonCopyMap is jsonNormalize for values the caller guarantees to be JSON-encodable.
func jsonCopyMap(m map[string]any) map[string]any {
	out, err := jsonNormalize(m)
	if err != nil {
		panic(fmt.Sprintf("mmfake: copying map through JSON: %v", err))
	}
	return out
}

// ---- errors ----

func newAppError(where, id string, status int, details string) *model.AppError {
	return model.NewAppError(where, id, nil, details, status)
}

func badRequest(where, id, details string) *model.AppError {
	return newAppError(where, id, http.StatusBadRequest, details)
}

func notFound(where, id, details string) *model.AppError {
	return newAppError(where, id, http.StatusNotFound, details)
}

// asAppError passes an AppError through and wraps anything else (hook errors).
func asAppError(where string, err error) *model.AppError {
	if err == nil {
		return nil
	}
	var appErr *model.AppError
	if errors.As(err, &appErr) && appErr != nil {
		return appErr
	}
	return model.NewAppError(where, "mmfake.injected", nil, err.Error(), http.StatusInternalServerError)
}
