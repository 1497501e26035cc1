package main

import "github.com/gorilla/mux"

// initConnectionRoutes mounts the System Console connection routes (docs/inbox-api.md).
func (p *Plugin) initConnectionRoutes(_ *mux.Router) {}
