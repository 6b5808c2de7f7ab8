package chain

import "github.com/hookline/hookline/action"

// Describe implements action.Describer.
func (e *Executor) Describe() action.Description { return e.desc }

func describe() action.Description {
	return action.Description{
		Type:    Type,
		Label:   "Trigger hook",
		Summary: "Runs another hook of the account tree with the given data, one level deeper in the chain.",
		Fields: []action.Field{
			{Name: "hook_id", Label: "Hook", Type: action.HookRef, Required: true, Templated: true, Example: "hk_…"},
			{Name: "data", Label: "Data", Type: action.Object, Templated: true, Long: true,
				Example: `{"order_id": "{{record.id}}"}`, Help: "The data the other hook sees."},
		},
		Outputs: []action.Output{
			{Name: "execution_id", Help: "the other hook's execution"},
			{Name: "hook_id", Help: "the other hook"},
		},
	}
}
