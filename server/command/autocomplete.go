package command

import "github.com/mattermost/mattermost/server/public/model"

// Command is the /social registration. operatorsURL, when not empty, is the plugin route
// that lists the operator pool for `transfer` (a relative URL such as
// "api/v1/autocomplete/operators", which the server prefixes with /plugins/<id>/);
// without it, transfer takes a plain "@username" text argument.
func Command(operatorsURL string) *model.Command {
	return &model.Command{
		Trigger:          Trigger,
		DisplayName:      "Social Inbox",
		Description:      "Work Facebook and Instagram leads",
		AutoComplete:     true,
		AutoCompleteDesc: "Work Facebook and Instagram leads: claim, transfer, close, notes, status and the queue",
		AutoCompleteHint: "[command]",
		AutocompleteData: Autocomplete(operatorsURL),
	}
}

// Autocomplete describes every sub-command with its hint, help text and arguments.
func Autocomplete(operatorsURL string) *model.AutocompleteData {
	root := model.NewAutocompleteData(Trigger, "[command]", "Work Facebook and Instagram leads")

	root.AddCommand(model.NewAutocompleteData(cmdClaim, "", "Take this lead: your posts in this channel go to the buyer"))
	root.AddCommand(model.NewAutocompleteData(cmdRelease, "", "Give this lead back to the queue for any operator to claim"))

	transfer := model.NewAutocompleteData(cmdTransfer, "@username", "Hand this lead to another operator")
	if operatorsURL != "" {
		transfer.AddDynamicListArgument("The operator who takes the lead over", operatorsURL, true)
	} else {
		transfer.AddTextArgument("The operator who takes the lead over", "@username", "")
	}
	root.AddCommand(transfer)

	// Optional positional arguments are not valid autocomplete data, so the optional
	// reasons of close and review live in the hint only.
	root.AddCommand(model.NewAutocompleteData(cmdClose, "[reason]", "Close this lead; it reopens when the buyer writes again. Optional reason, e.g. sold, no reply, spam"))

	root.AddCommand(model.NewAutocompleteData(cmdReopen, "", "Reopen this closed lead and put it back in the queue"))

	note := model.NewAutocompleteData(cmdNote, "<text>", "Post an internal note in this channel; the buyer never sees it")
	note.AddTextArgument("The note for your colleagues", "<text>", "")
	root.AddCommand(note)

	root.AddCommand(model.NewAutocompleteData(cmdStatus, "", "Contact, source, owner, response window and whether the buyer waits for an answer"))

	queue := model.NewAutocompleteData(cmdQueue, "[mine|unclaimed|all]", "Open leads, the ones whose reply window closes soonest first")
	queue.AddStaticListArgument("Which leads to list", false, []model.AutocompleteListItem{
		{Item: QueueMine, HelpText: "Leads you own"},
		{Item: QueueUnclaimed, HelpText: "Leads nobody has claimed yet"},
		{Item: QueueAll, HelpText: "Every open lead (the default)"},
	})
	root.AddCommand(queue)

	root.AddCommand(model.NewAutocompleteData(cmdReview, "[reason]", "Hold this lead for a policy review: nothing reaches the buyer until it is cleared. Optional reason"))

	root.AddCommand(model.NewAutocompleteData(cmdClearReview, "", "Clear the policy review (another operator or an admin, not the owner)"))
	root.AddCommand(model.NewAutocompleteData(cmdAudit, "", "Show this lead's audit trail, newest last"))
	root.AddCommand(model.NewAutocompleteData(cmdHelp, "", "List the /social commands"))
	return root
}
