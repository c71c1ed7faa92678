/// The version of this KorSearch, as `korsearch --version` prints it.
public enum KorSearchVersion {
    /// The release, semantic versioning.
    public static let current = "0.5.0"
}
