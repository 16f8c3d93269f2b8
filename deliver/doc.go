// Package deliver sends what package digest left in the outbox: by SMTP
// ([NewSMTPSender]) or as .eml files into a folder ([NewFileSender]).
//
// [Deliver] leases each due message, hands it to a [Sender] and records the
// outcome: accepted (and only then sent), refused for good (failed, its
// stories released to the next digest), or refused for now (retried with
// [RetryPolicy]'s backoff; recipients still owed after 72 hours are given
// up). A message is built from the stored parts by [NewMsg] with the same
// Message-ID on every try, so a resend after a crash is one the receiving
// side can recognise.
package deliver
