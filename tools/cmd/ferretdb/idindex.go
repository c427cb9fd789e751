package main

// The SQLite index FerretDB's own _id pushdown needs.
//
// FerretDB 1.24 pushes {_id: <string|ObjectId>} down as
//
//	SELECT _ferretdb_sjson FROM "<table>" WHERE _ferretdb_sjson->'$._id' = ?
//
// (and the same WHERE for UPDATE/DELETE), but the unique index it creates for
// _id is on the expression _ferretdb_sjson->"_id". SQLite matches indexes on
// expressions textually, so the pushed-down query scans the whole table:
// measured ~45-300 ms for one {_id} lookup in 20,000 documents, growing with
// the collection. idIndexer adds, to each collection's table, a plain
// (non-unique) index on exactly FerretDB's query expression, which turns these
// lookups into index searches (~1 ms).
//
// The index is invisible to clients: FerretDB lists and drops indexes from its
// own metadata (the _ferretdb_collections table), never from sqlite_master,
// and dropping the collection drops the table with every index on it. It is
// created on the first command that names the collection after the table
// exists, under the gate's mutex (FerretDB is then idle; its connections use
// WAL and a busy timeout, as ours does).

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB's SQLite backend uses ("sqlite")
)

type idIndexer struct {
	dir    string // FerretDB's SQLite directory (absolute)
	logger *slog.Logger

	mu      sync.Mutex
	dbs     map[string]*sql.DB // per database file, opened read-write, never created
	indexed map[string]bool    // "db\x00collection" whose table has the index
}

func newIDIndexer(dataDir string, logger *slog.Logger) *idIndexer {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	return &idIndexer{dir: abs, logger: logger, dbs: map[string]*sql.DB{}, indexed: map[string]bool{}}
}

// close closes the database handles.
func (x *idIndexer) close() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for name, db := range x.dbs {
		_ = db.Close()
		delete(x.dbs, name)
	}
}

// observe is called (under the gate's mutex) with every request before it is
// forwarded: it indexes the collection the command names, and forgets what it
// knows when a command may drop or rename tables.
func (x *idIndexer) observe(req []byte) {
	if x == nil {
		return
	}
	db, cmd, coll := describe(req)
	switch strings.ToLower(cmd) {
	case "drop", "dropdatabase", "renamecollection":
		x.forget()
	case "find", "findandmodify", "update", "delete", "count", "insert", "aggregate", "distinct":
		if db != "" && coll != "" {
			x.ensure(db, coll)
		}
	}
}

// forget drops the cache (the tables themselves keep their indexes).
func (x *idIndexer) forget() {
	x.mu.Lock()
	defer x.mu.Unlock()
	clear(x.indexed)
	for name, db := range x.dbs { // a dropped database's file is deleted: reopen later
		_ = db.Close()
		delete(x.dbs, name)
	}
}

// ensure creates the index on db.coll's table unless it is known to exist.
// Failures are logged and retried on a later command; they only cost speed.
func (x *idIndexer) ensure(dbName, coll string) {
	key := dbName + "\x00" + coll
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.indexed[key] {
		return
	}

	db := x.dbs[dbName]
	if db == nil {
		file := filepath.Join(x.dir, dbName+".sqlite")
		if strings.ContainsAny(dbName, "/\\") {
			return
		}
		if _, err := os.Stat(file); err != nil {
			return // no such database (yet); opening would create the file
		}
		uri := (&url.URL{Scheme: "file", Opaque: file, RawQuery: "mode=rw&_pragma=busy_timeout(10000)"}).String()
		var err error
		if db, err = sql.Open("sqlite", uri); err != nil {
			x.logger.Warn("gate: cannot open SQLite file for the _id index", "file", file, "error", err)
			return
		}
		db.SetMaxOpenConns(1)
		x.dbs[dbName] = db
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var table string
	err := db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, coll).Scan(&table)
	if err != nil {
		if err != sql.ErrNoRows {
			x.logger.Debug("gate: _id index: collection lookup failed", "db", dbName, "collection", coll, "error", err)
		}
		return // no table yet: try again on a later command
	}

	started := time.Now()
	q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+"_gate_id", table)
	if _, err = db.ExecContext(ctx, q); err != nil {
		x.logger.Warn("gate: cannot create the _id index", "db", dbName, "collection", coll, "error", err)
		return
	}
	x.indexed[key] = true
	x.logger.Debug("gate: _id index ready", "db", dbName, "collection", coll, "took", time.Since(started))
}
