import Foundation

/// The first stage of an indexing run: what this worker's part of a folder holds against what the store
/// holds. It lists the files to examine (the manifests at the root describe documents and are not documents),
/// the stored documents of this shard, the stored paths whose files are gone, and the files the walk or the
/// manifest already found wanting.
package struct FolderDiff {
    /// The files of this worker's shard, in the walk's order.
    package var files: [FoundFile]
    /// The stored documents of this shard, by path.
    package var stored: [String: StoredDocument]
    /// Stored paths whose files are gone, sorted.
    package var removed: [String]
    /// Files left out before any is read (unreadable entries, links out of the folder, manifest problems).
    package var skipped: [SkippedFile]
    /// Files of the folder that belong to other shards.
    package var otherShards: Int
    /// Whether a path belongs to this worker's shard.
    package let owns: @Sendable (String) -> Bool

    /// Compares a walk of the folder (its manifest's problems included) with the stored documents.
    package init(walk: FolderWalker.Walk, manifestProblems: [SkippedFile], stored: [String: StoredDocument], shard: Shard?) {
        let owns: @Sendable (String) -> Bool = { path in shard?.owns(path) ?? true }
        let all = walk.files.filter { !Manifest.fileNames.contains($0.path) && !FinancialFacts.isFactsFile($0.path) }
        files = all.filter { owns($0.path) }
        otherShards = all.count - files.count
        self.stored = stored.filter { owns($0.key) }
        let present = Set(files.map(\.path))
        removed = self.stored.keys.filter { !present.contains($0) }.sorted()
        skipped = (walk.skipped + manifestProblems).filter { owns($0.path) }
        self.owns = owns
    }

    /// Whether a file is the stored document unchanged by its size and modification time alone (not read).
    package static func looksUnchanged(_ file: FoundFile, _ stored: StoredDocument) -> Bool {
        stored.size == file.size && stored.modified == file.modified
    }
}
