import GRDB
import KorDocuments
import KorSearchCore

/// The catalog's schema: its migrations (each an additive step, run by the first writable open) and the
/// indexes made outside them.
extension Catalog {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE documents (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        path TEXT NOT NULL UNIQUE,
                        sha256 TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        modified REAL NOT NULL,
                        type TEXT NOT NULL,
                        title TEXT,
                        text TEXT NOT NULL,
                        encoding TEXT,
                        page_starts TEXT NOT NULL,
                        indexed_at REAL NOT NULL
                    );
                    CREATE TABLE chunks (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                        ordinal INTEGER NOT NULL,
                        text TEXT NOT NULL,
                        start INTEGER NOT NULL,
                        end INTEGER NOT NULL,
                        page INTEGER,
                        token_count INTEGER NOT NULL,
                        vector BLOB NOT NULL,
                        UNIQUE (document_id, ordinal)
                    );
                    CREATE TABLE skipped (path TEXT PRIMARY KEY NOT NULL, reason TEXT NOT NULL);
                    CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, tokenize = "unicode61 remove_diacritics 0 tokenchars '.'");
                    CREATE TRIGGER chunks_delete_terms AFTER DELETE ON chunks BEGIN
                        DELETE FROM chunk_terms WHERE rowid = old.id;
                    END;
                    """)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", arguments: ["\(schemaVersion)"])
        }
        migrator.registerMigration("v1-term-statistics") { db in
            // Document frequencies of keyword terms, read from the FTS5 index itself (no storage of its own).
            try db.execute(sql: "CREATE VIRTUAL TABLE chunk_terms_vocab USING fts5vocab(chunk_terms, 'row')")
        }
        migrator.registerMigration("v1-chunk-sections") { db in
            // The headings above each passage; passages stored before this have none until re-indexed.
            try db.execute(sql: "ALTER TABLE chunks ADD COLUMN section TEXT")
        }
        migrator.registerMigration("v1-input-hashes") { db in
            // The hash of each passage's encoder input, so an identical input reuses the stored vector.
            // Passages stored before this have none (they are embedded again if their documents change).
            try db.execute(sql: "ALTER TABLE chunks ADD COLUMN input_hash TEXT")
            try db.execute(sql: "CREATE INDEX chunks_input_hash ON chunks (input_hash)")
        }
        migrator.registerMigration("v1-filing-metadata") { db in
            // What each document is (FilingMetadata as JSON, and what its reader found), and the columns
            // filters and facets read. Documents stored before this have none until their file changes or
            // a manifest names them.
            for column in ["metadata", "read_metadata"] + FilingMetadata.columnNames {
                try db.execute(sql: "ALTER TABLE documents ADD COLUMN \(column) TEXT")
            }
        }
        migrator.registerMigration("v1-facts") { db in
            // Financial statement lines read from the folder's financials.jsonl (FinancialFacts).
            try db.execute(
                sql: """
                    CREATE TABLE facts (
                        corp_code TEXT NOT NULL, company TEXT NOT NULL, stock_code TEXT, fiscal_year INTEGER NOT NULL,
                        report TEXT NOT NULL, period TEXT NOT NULL, statement TEXT NOT NULL, consolidated INTEGER NOT NULL,
                        account_id TEXT, account TEXT NOT NULL, current INTEGER, previous INTEGER, currency TEXT,
                        rcept_no TEXT NOT NULL, ord INTEGER
                    );
                    CREATE INDEX facts_corp_code ON facts (corp_code);
                    CREATE TABLE fact_companies (corp_code TEXT PRIMARY KEY NOT NULL, company TEXT NOT NULL, stock_code TEXT);
                    """)
        }
        migrator.registerMigration("v1-chunk-page-end-ocr") { db in
            // The page each passage ends on, the sections that begin inside it, and whether OCR read some of its
            // text; passages stored before this end on the page they start on, are in one section and were read,
            // until re-indexed.
            try db.execute(sql: "ALTER TABLE chunks ADD COLUMN page_end INTEGER")
            try db.execute(sql: "ALTER TABLE chunks ADD COLUMN section_starts TEXT")
            try db.execute(sql: "ALTER TABLE chunks ADD COLUMN ocr INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }

    /// The indexes over the facet columns, so that `info`'s facets read them instead of the documents table
    /// (whose facet columns lie after each document's text, in its overflow pages: every facet read all
    /// documents' text). Made by the first writable open, outside the
    /// migrations: a read-only open of a catalog without them still works, the facets then read the table.
    /// A catalog busy with another writer gets them at a later open.
    static func addFacetIndexes(_ pool: any DatabaseWriter) throws {
        let present = try pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'"))
        }
        let missing = KorSearchCore.IndexInfo.Facets.columns.filter { !present.contains("documents_\($0)") }
        if missing.isEmpty { return }
        do {
            try pool.write { db in
                for column in missing { try db.execute(sql: "CREATE INDEX IF NOT EXISTS documents_\(column) ON documents (\(column))") }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            // Another writer holds the catalog; a later open makes them.
        }
    }
}
