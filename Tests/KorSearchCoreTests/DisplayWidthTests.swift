import KorSearchCore
import XCTest

/// Display columns as terminals draw them, and shortening that keeps a path's start and its file name.
final class DisplayWidthTests: XCTestCase {
    func testHangulAndCJKTakeTwoColumnsMarksNone() {
        XCTAssertEqual(DisplayWidth.of("abc"), 3)
        XCTAssertEqual(DisplayWidth.of("한빛전자"), 8)
        XCTAssertEqual(DisplayWidth.of("漢字ｶ"), 5, "half-width katakana is one column")
        XCTAssertEqual(DisplayWidth.of("e\u{301}"), 1, "a combining accent adds nothing")
        XCTAssertEqual(DisplayWidth.of("\u{1100}\u{1161}\u{11A8}"), 2, "a decomposed syllable (initial, vowel, final) is two columns")
        XCTAssertEqual(DisplayWidth.of("\u{1B}\t\u{7}"), 0, "control characters none")
    }

    func testShortenedKeepsTheStartAndTheEndWithinTheColumns() {
        let path = "공시자료/2024년/반기보고서/한빛전자주식회사_2024년_반기보고서_최종본.txt"
        XCTAssertEqual(DisplayWidth.shortened(path, toColumns: 200), path, "a path that fits is kept whole")
        for columns in [1, 2, 5, 12, 24, 40, 61] {
            let short = DisplayWidth.shortened(path, toColumns: columns)
            XCTAssertLessThanOrEqual(DisplayWidth.of(short), columns, short)
            XCTAssertTrue(short.contains("…"), short)
            if columns >= 12 {
                XCTAssertTrue(short.hasSuffix(".txt"), short)
                XCTAssertTrue(short.hasPrefix("공"), short)
            }
        }
        XCTAssertEqual(DisplayWidth.prefix("한빛a전자", columns: 5), "한빛a")
        XCTAssertEqual(DisplayWidth.prefix("한빛a전자", columns: 4), "한빛")
    }
}

/// A model's name as people and API clients see it.
final class ModelDisplayNameTests: XCTestCase {
    func testHubIdsCacheFoldersAndOtherFolders() {
        XCTAssertEqual(ModelIdentity.displayName("BAAI/bge-m3"), "BAAI/bge-m3")
        XCTAssertEqual(ModelIdentity.displayName("nlpai-lab/KURE-v1@a1b2c3"), "nlpai-lab/KURE-v1")
        XCTAssertEqual(ModelIdentity.displayName("/root/.cache/huggingface/hub/models--BAAI--bge-m3/snapshots/5617a9f/"), "BAAI/bge-m3")
        XCTAssertEqual(ModelIdentity.displayName("/srv/models/mdeberta-tiny-safetensors"), "mdeberta-tiny-safetensors")
        XCTAssertEqual(ModelIdentity.displayName("./models/ko-small/"), "ko-small")
        XCTAssertEqual(ModelIdentity.displayName("models/sub/ko-small"), "ko-small")
    }
}
