import Foundation
import KorSearch

/// The search page served at `/`: plain HTML, CSS and a small script (`Page/index.html`, `app.css`,
/// `app.js`), embedded into the binary at build time (no CDN, no resource bundle). The page's state lives in
/// its URL (`?q=…&mode=…&type=…&company=…&report=…&period=…`, `?doc=ID&chunk=ID`), so every view can be
/// linked and reloaded. It renders what the API answers — a hit's `highlights` included — and holds no
/// keyword analysis of its own. Document text is only ever inserted as text nodes, never as markup.
enum WebPage {
    /// The page, its file-type choices taken from the registry of formats (`DocumentFormats`).
    static let html = file("index.html").replacingOccurrences(
        of: "{{FORMAT_OPTIONS}}",
        with: DocumentFormats.types.map { "<option value=\"\($0)\">\($0.uppercased())</option>" }.joined())

    static let css = file("app.css")

    static let script = file("app.js")

    private static func file(_ name: String) -> String {
        guard let text = PageResources.text(name) else { fatalError("Page/\(name) was not embedded at build time") }
        return text
    }
}
