// Package digest selects the matched items a digest has not covered yet,
// groups them into stories (package digest/story), renders the mail's text
// and HTML parts and records the result in the outbox. Sending it is the
// job of package deliver.
package digest
