// Package digest selects matched items for a digest, groups them into
// stories, renders the mail and delivers it through the outbox (SPEC §5).
package digest
