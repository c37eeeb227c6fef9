import GRDB
import PkgfsModel

/// What search/<keyword> reads (OCP keyword semantics: name, type, version, OS or architecture
/// contains the keyword). `searchTerm` holds each distinct value of those five columns once,
/// so a keyword is matched against a few hundred strings, not a million rows. Each column has
/// an index that also holds what a hit shows (creation time, directory path; the id is the
/// index's rowid): the hits of one term are one range of it, and no package row is read. A
/// trigram index over the rows answered the same keywords, but its doclists and then one
/// random row read per hit made a first search of a cold million-package catalog take
/// 131–170 ms for 931 hits and 2.3–3.2 s for 130,033 (now 15–56 ms and 0.4–0.5 s, with the
/// ranges read on eight connections at once: `Catalog.searchSlices`).
enum SearchSchema {
    /// The searched columns, by their `kind` in `searchTerm`.
    static let columns = ["name", "type", "version", "operatingSystem", "architecture"]

    static func index(of column: String) -> String { "package_search_\(column)" }

    /// `pkgfs_contains(value, keyword)`: whether `value` contains `keyword`, ignoring case in
    /// any script (SQL's LIKE folds ASCII letters only). It runs once per distinct term, for
    /// keywords that are not ASCII.
    static let containsFunction = DatabaseFunction("pkgfs_contains", argumentCount: 2, pure: true) { values in
        guard let value = String.fromDatabaseValue(values[0]), let keyword = String.fromDatabaseValue(values[1]) else {
            return false
        }
        return KeywordMatch.contains(value, keyword)
    }

    static func replaceTrigramIndex(_ db: Database) throws {
        try db.execute(sql: """
            DROP TRIGGER IF EXISTS packageSearch_insert;
            DROP TRIGGER IF EXISTS packageSearch_delete;
            DROP TRIGGER IF EXISTS packageSearch_update;
            DROP TABLE IF EXISTS packageSearch;
            CREATE TABLE searchTerm (kind INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, value)) WITHOUT ROWID;
            """)
        for (kind, column) in columns.enumerated() {
            try db.execute(sql: """
                CREATE INDEX \(index(of: column)) ON package(\(column), createdAt, dirType, dirOS, dirArch, dirVersion, dirName);
                INSERT INTO searchTerm (kind, value) SELECT DISTINCT \(kind), \(column) FROM package;
                """)
        }
        // A term lives while some package has it; the per-column indexes answer "some package has it".
        let insertTerms = columns.enumerated().map { kind, column in
            "INSERT OR IGNORE INTO searchTerm (kind, value) VALUES (\(kind), new.\(column));"
        }.joined(separator: "\n")
        let deleteUnusedTerms = columns.enumerated().map { kind, column in
            """
            DELETE FROM searchTerm WHERE kind = \(kind) AND value = old.\(column)
                AND NOT EXISTS (SELECT 1 FROM package WHERE \(column) = old.\(column));
            """
        }.joined(separator: "\n")
        try db.execute(sql: """
            CREATE TRIGGER searchTerm_insert AFTER INSERT ON package BEGIN
            \(insertTerms)
            END;
            CREATE TRIGGER searchTerm_delete AFTER DELETE ON package BEGIN
            \(deleteUnusedTerms)
            END;
            CREATE TRIGGER searchTerm_update AFTER UPDATE OF \(columns.joined(separator: ", ")) ON package BEGIN
            \(insertTerms)
            \(deleteUnusedTerms)
            END;
            """)
    }
}

