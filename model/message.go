package model

import "time"

// Message statuses.
const (
	MessagePending = "pending"
	MessageSent    = "sent"
	MessageFailed  = "failed"
)

// Message is one digest in the outbox.
type Message struct {
	ID        int64
	Digest    string
	Slot      time.Time // schedule slot; unique with Digest
	MessageID string
	Subject   string
	To        []string
	Text      string
	HTML      string
	Status    string
	Attempts  int
	LastError string
	// Held is set while the last try failed on the mail settings (a
	// refused login, an unset password variable, TLS not set up as
	// configured) rather than on the server or the message: the message
	// waits for the user's fix, and is never given up on.
	Held         bool
	NextAttempt  time.Time
	Created      time.Time
	Sent         time.Time
	CoveredUntil time.Time // items first seen up to here are covered
	ItemIDs      []int64
	// Doc is the digest as a JSON document, for webhooks and chat
	// messages; empty when the digest has no such channel.
	Doc string
	// Channels are the message's other channels than mail (its `notify`
	// URLs), sorted by Key; each is a [Delivery].
	Channels []Channel
}

// Channel is a notify URL as the outbox knows it: Key, a stable identity
// (config.ChannelKey: it does not change when the rules that mask URLs
// for display do), and Name, the URL with its secret parts masked
// (config.MaskURL), for people. Deliveries recorded before channels had
// keys carry their Name as Key.
type Channel struct {
	Key  string
	Name string
}

// Delivery is one message's way out through one channel other than mail (a
// webhook or chat service URL): tried, retried and recorded on its own, so
// one channel failing holds back no other, and a channel that had the
// message is never sent it again.
type Delivery struct {
	Message  Message // the digest it carries
	Channel  string  // the channel's Name, as in Message.Channels
	Key      string  // the channel's Key, as in Message.Channels
	Status   string  // MessagePending, MessageSent or MessageFailed
	Attempts int
	// Unanswered counts the tries that got no answer in time after the
	// message was sent: their outcome is unknown.
	Unanswered  int
	LastError   string
	NextAttempt time.Time
	Sent        time.Time
}
