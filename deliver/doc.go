// Package deliver sends what package digest left in the outbox: by SMTP
// ([NewSMTPSender]) or as .eml files into a folder ([NewFileSender]).
//
// [Deliver] leases each due message, hands it to a [Sender] and records the
// outcome: accepted (and only then sent), refused for good (failed, its
// stories released to the next digest), or refused for now (retried with
// [RetryPolicy]'s backoff; recipients still owed after 72 hours are given
// up). A failure of the mail settings rather than of the message (a refused
// login, an unset password variable, TLS not as configured: a
// [SettingsError]) keeps the message pending and recorded as held, never
// given up, until the settings are fixed. A message is built from the
// stored parts by [NewMsg] with the same Message-ID on every try, so a
// resend after a crash is one the receiving side can recognise.
//
// Every send is made under its lease (store.Lease, renewed by a Hold), and
// no sender takes a step it cannot take back (SMTP's DATA and the end of
// the message, a webhook or chat post, a file) once that lease may have
// expired by its own clock (store.CheckHeld): a sender that stalled past
// it leaves the message to the one that took it over, recording nothing.
//
// A digest's notify channels are deliveries of their own: [DeliverChannels]
// sends each through a [Webhook] (the JSON document, Idempotency-Key =
// Message-ID, optional HMAC-SHA256 signature) or a [Chat] service (text
// through shoutrrr) by the same rules, each channel sent and recorded
// apart so one failing or hanging holds back no other.
package deliver
