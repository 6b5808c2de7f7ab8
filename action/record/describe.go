package record

import "github.com/hookline/hookline/action"

// Describe implements action.Describer.
func (e *Executor) Describe() action.Description { return e.desc }

func describe(o op) action.Description {
	collection := action.Field{Name: "collection", Label: "Collection", Type: action.Collection, Required: true, Templated: true,
		Example: "invoices", Help: "A collection of the hook's account: lower-case letters, digits and _."}
	recordOut := []action.Output{
		{Name: "id", Help: "the record's id"},
		{Name: "created_at", Help: "when it was created"},
		{Name: "updated_at", Help: "when it was last changed"},
	}
	switch o {
	case opUpdate:
		return action.Description{
			Type: TypeUpdate, Label: "Update record",
			Summary: "Changes fields of a record; when several hooks of one event set the same field of the triggering record, the first one wins.",
			Fields: []action.Field{
				collection,
				{Name: "id", Label: "Record id", Type: action.String, Templated: true, Example: "{{record.id}}",
					Help: "Default: the record that triggered the hook."},
				{Name: "data", Label: "Fields to set", Type: action.Object, Required: true, Templated: true, Long: true,
					Example: `{"status": "flagged"}`, Help: "Field names to values; null removes a field."},
			},
			Outputs: recordOut,
		}
	case opDelete:
		return action.Description{
			Type: TypeDelete, Label: "Delete record", Summary: "Deletes a record.",
			Fields: []action.Field{
				collection,
				{Name: "id", Label: "Record id", Type: action.String, Templated: true, Example: "{{record.id}}",
					Help: "Default: the record that triggered the hook."},
			},
			Outputs: []action.Output{{Name: "id", Help: "the deleted record's id"}, {Name: "deleted", Help: "true"}},
		}
	}
	return action.Description{
		Type: TypeCreate, Label: "Create record", Summary: "Writes a new record (which fires its own records.create).",
		Fields: []action.Field{
			collection,
			{Name: "data", Label: "Fields", Type: action.Object, Required: true, Templated: true, Long: true,
				Example: `{"order_id": "{{record.id}}", "amount": "{{record.total}}"}`, Help: "Field names to values."},
		},
		Outputs: recordOut,
	}
}
