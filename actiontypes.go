package hookline

import "github.com/hookline/hookline/action"

// ActionDescriptions describes every registered action type (its label,
// config fields and outputs), in the order editors offer them.
func (e *Engine) ActionDescriptions() []action.Description { return e.actions.Descriptions() }

// ActionDescription describes one action type.
func (e *Engine) ActionDescription(typ string) (action.Description, bool) {
	return e.actions.Describe(typ)
}

// ActionReady reports why actions of typ cannot run on this server yet (an
// unconfigured SMTP server or SMS provider), or nil.
func (e *Engine) ActionReady(typ string) error { return e.actions.Ready(typ) }
