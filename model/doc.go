// Package model holds the domain types every stage of newswatch passes
// around: a stored item, one source's fetch run, a digest message in the
// outbox and its deliveries through other channels. It imports nothing of
// this module; the store persists these types, and ingest, digest and
// deliver exchange them.
package model
