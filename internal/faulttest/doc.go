// Package faulttest is the fault suite (hostile feeds, broken servers and bad
// mail): black-box tests that build the real newswatch
// binary once and drive it against hostile HTTP servers and a loopback SMTP
// server ([newswatch/internal/smtptest]), everything on 127.0.0.1.
//
// The package holds tests only. Each case below has a test named
// TestFaultNN…; cases also tested closer to the code keep those tests:
//
//	case                                   here (full pipeline)                  also
//	 1 silent / trickling server           TestFault01SilentAndTricklingServers  scraper TestFault01Timeout
//	 2 gzip bomb                           TestFault02GzipBomb                   scraper TestFault02GzipBomb
//	 3 body of limit + 1                   TestFault03BodyLimitPlusOne           scraper TestFault03BodyLimitPlusOne
//	 4 billion laughs, XXE                 TestFault04BillionLaughsAndXXE        scraper TestFault04BillionLaughsAndXXE
//	 5 100,000 nested elements             TestFault05DeepNesting                scraper TestFault05DeepNesting
//	 6 private redirects, loops, 11 hops   TestFault06Redirects                  scraper TestFault06PrivateRedirects, TestFault06RedirectLimit
//	 7 charsets, invalid characters        TestFault07Charsets                   scraper TestFault07Charsets
//	 8 comments before the root            TestFault08CommentsBeforeRoot         scraper TestFault08CommentsBeforeRoot
//	 9 odd dates, TZ independence          TestFault09Dates                      scraper TestFault09Dates
//	10 relative links after a redirect     TestFault10RelativeLinks              scraper TestFault10RelativeLinksAfterRedirect
//	11 HTML page served with 200           TestFault11HTMLInsteadOfFeed          scraper TestFault11HTMLInsteadOfFeed
//	12 zero, leaving and 1,000 items       TestFault12ItemCounts                 scraper TestFault12ItemCounts
//	13 duplicate identities                TestFault13DuplicateIdentities        scraper TestFault13DuplicateIdentities, TestFault13SameArticleOnce
//	14 304 after failed processing         TestFault14ETag304AfterFailedProcessing
//	15 script in a title                   TestFault15ScriptInTitle              digest TestComposeEscapesFeedHTML
//	16 header injection in the subject     TestFault16SubjectInjection           deliver TestSubjectInjection
//	17 SMTP faults                         TestFault17SMTP                       deliver TestSMTPFaults, TestDeliverFaults
//	18 kill -9 at random points            TestFault18KillNine, TestFault18SendKilledAtSMTPStages
//	19 a daemon and a fetch on one file    TestFault19TwoWriters                 store TestConcurrentWriters
//	20 a panicking job in the daemon       (not repeated here)                   cmd/newswatch TestDaemonJobPanics
//	21 kill -9 during a webhook delivery   TestFaultWebhookKilled                deliver TestChannelRetriesThenOnce
//
// Beside the cases, TestSharedDaemonsKilled runs three daemons on one
// PostgreSQL database (a fresh one, dropped afterwards; skipped when no
// server is reachable) and kills one mid-fetch and another mid-send.
//
// Run it with
//
//	go test -race ./internal/faulttest/ ./scraper/ -run Fault -v
//
// -short skips the slowest parts (fewer kill -9 rounds).
package faulttest
