package store

import (
	"context"
	"database/sql"
	"io/fs"
)

// dialect is what differs between the two databases; everything else, the
// queries included, is shared.
type dialect interface {
	// rebind turns a query written with ? placeholders into the
	// database's form.
	rebind(query string) string
	// list is the parameter in and each read: the elements of v, a
	// []string or an []int64, in order. SQLite reads a JSON array (text);
	// PostgreSQL an array, sent in its binary form, which it reads without
	// parsing the elements out of text.
	list(v any) (any, error)
	// each is a table expression, aliased j with one column value of SQL
	// type typ ("text" or "bigint"), over the elements of a list passed as
	// the next parameter.
	each(typ string) string
	// inProcess reports whether the database runs inside this process
	// (SQLite): a statement costs a call, not a round trip, so a batch of
	// rows is written a statement per row rather than as one statement
	// the database has to take apart.
	inProcess() bool
	// in is a predicate: col is one of the elements, of SQL type typ, of a
	// list passed as the next parameter. It is written so that an index on
	// col is used.
	in(col, typ string) string
	// jsonArray is an aggregate building a JSON array (text, "[]" when
	// empty) of expr in order.
	jsonArray(expr, order string) string
	// lockWriters is run first in every write transaction and in the
	// migration: it waits until no other writer, in any process, is in one.
	lockWriters(ctx context.Context, tx *sql.Tx) error
	// lockSavers is run first in every transaction that saves runs and
	// items: it waits until no writer of lockWriters is in one, and lets
	// other saves run beside it where the database can (PostgreSQL).
	lockSavers(ctx context.Context, tx *sql.Tx) error
	// lockRows ends the query looking up the stored items a save merges
	// into: it locks them, in key order, until the transaction ends
	// (empty where one writer runs at a time).
	lockRows() string
	// retryable reports whether a save that failed with err may be run
	// again: it lost a deadlock or a lock wait, not its data.
	retryable(err error) bool
	// savers is how many group transactions of saves one process runs at
	// once.
	savers() int
	// tableExists is a query answering whether the table named by its
	// one parameter exists (a boolean).
	tableExists() string
	// migrations is the folder of this database's migrations.
	migrations() (fs.FS, error)
	// shared reports whether several daemons may share the database.
	shared() bool
	// resetIdentities makes the generated IDs of the tables that have them
	// follow the highest stored one, after rows were inserted with theirs.
	resetIdentities(ctx context.Context, tx *sql.Tx) error
	// beforeClose runs on the writer just before it is closed.
	beforeClose(ctx context.Context, db *sql.DB)
}
