/// Facts about `Examples/corpus` the tests rely on, in one place.
public enum TestCorpus {
    /// How many documents KorSearch reads there (every file: text, Markdown, HTML, PDF, Word, HWP, Excel,
    /// PowerPoint, CSV and a DART filing zip).
    public static let documents = 22
}
