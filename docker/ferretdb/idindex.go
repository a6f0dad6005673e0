package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// indexIDs keeps an index on the exact expression FerretDB 1.24 looks documents up by.
//
// FerretDB finds a document by _id with `WHERE _ferretdb_sjson->'$._id' = ?` (finds, updates,
// deletes), while its unique index is on `_ferretdb_sjson->"_id"`. SQLite uses an expression
// index only for the same expression, so every lookup by _id scans the whole table (20 ms at
// 8,000 trend documents, growing with them). Every few seconds, each collection table of each
// database in dir gets `<table>__id_path` on the queried expression (1 ms at any size); a table
// FerretDB drops takes its index with it.
func indexIDs(ctx context.Context, dir string, logger *slog.Logger) {
	ticker := time.NewTicker(5 * time.Second)
	defer ticker.Stop()

	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, f := range files {
			if err := indexFile(ctx, f); err != nil && ctx.Err() == nil {
				logger.Warn("_id index not added", "file", f, "error", err)
			}
		}

		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func indexFile(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()

	rows, err := db.QueryContext(ctx,
		`SELECT c.table_name FROM _ferretdb_collections c WHERE NOT EXISTS (
		   SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || '__id_path')`)
	if err != nil {
		return nil // a database file FerretDB has not set up yet
	}

	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()

	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"__id_path", t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}

	return nil
}
