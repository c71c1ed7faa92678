import Foundation

extension IndexLocation {
    /// The location named by a command line: `store` (a `postgres://` URL) when given, else the directory
    /// `index`. The one place that chooses between the stores.
    public init(index: String, store: String?) throws {
        if let store, !store.isEmpty {
            self = .postgres(try PostgresLocation(store))
        } else {
            self = .directory(EmbeddedLocation(URL(fileURLWithPath: index)))
        }
    }
}
