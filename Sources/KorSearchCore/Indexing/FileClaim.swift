import Foundation
import KorDocuments

/// The second stage of an indexing run: whether a found file needs reading, decided as cheaply as it can be —
/// size and modification time first, then the reader and the size limit (before a byte is read), then the
/// content hash — and, when other processes write the same store, claimed for this run before it is read.
package struct FileClaim {
    /// What became of a file.
    package enum Verdict: Equatable {
        /// The stored document is this file (its modification time brought up to date when only that changed).
        case unchanged(StoredDocument)
        /// Another worker holds the file, or stored it first; left to it.
        case claimedElsewhere
        /// The file cannot be indexed (no reader for its type, too large); `wasStored` when an earlier version
        /// of it is in the store (and must go).
        case skipped(SkippedFile, wasStored: Bool)
        /// The file is new or changed: read it. `previous` is what the store holds at its path now.
        case changed(sha256: String, previous: StoredDocument?)
    }

    /// The store written to.
    package let writer: any IndexWriting
    /// What reading one file may cost.
    package let limits: DocumentLimits

    package init(writer: any IndexWriting, limits: DocumentLimits) {
        self.writer = writer
        self.limits = limits
    }

    /// Examines a file against what the store held at its path when the run started.
    package func examine(_ file: FoundFile, stored: StoredDocument?) throws -> Verdict {
        var previous = stored
        if let previous, FolderDiff.looksUnchanged(file, previous) { return .unchanged(previous) }
        // The type and the size decide before a byte is read: an unsupported or oversized file is never
        // read or hashed.
        let hash: String
        do {
            _ = try DocumentLoader.reader(for: file.url)
            try DocumentLoader.check(size: file.size, limits: limits)
            hash = try FileDigest.sha256(of: file.url)
        } catch let failure as DocumentFailure {
            return .skipped(SkippedFile(path: file.path, reason: failure.description), wasStored: previous != nil)
        }
        if let previous, previous.sha256 == hash {
            try writer.touch(path: file.path, modified: file.modified)
            return .unchanged(previous)
        }
        if writer.concurrentWriters {
            // Another worker may hold this file, or may have stored it since this run read the list.
            guard try writer.claim(file.path) else { return .claimedElsewhere }
            previous = try writer.storedDocument(path: file.path)
            if let previous, previous.sha256 == hash {
                try writer.release([file.path])
                if previous.modified != file.modified { try writer.touch(path: file.path, modified: file.modified) }
                return .unchanged(previous)
            }
        }
        return .changed(sha256: hash, previous: previous)
    }
}
