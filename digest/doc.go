// Package digest selects the matched items a digest has not covered yet,
// groups them into stories (package digest/story), renders the mail and
// delivers it through the outbox.
package digest
