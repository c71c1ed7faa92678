// An example RAG retrieval step: find the passages that answer a question in an index, and assemble a
// prompt with numbered, cited sources for any LLM.
//
//   swift run rag-context --index Indexes/default "한빛전자 3분기 영업이익은?"
//   swift run rag-context --store postgres://korsearch@db:5432/filings "한빛전자 3분기 영업이익은?"
import Foundation
import KorSearch

let arguments = Array(CommandLine.arguments.dropFirst())
let flag = arguments.firstIndex { $0 == "--index" || $0 == "--store" }
guard let flag, flag + 1 < arguments.count,
    let question = arguments.enumerated().last(where: { $0.offset != flag + 1 && !$0.element.hasPrefix("--") })?.element
else {
    FileHandle.standardError.write(Data("usage: rag-context (--index DIR | --store postgres://...) QUESTION\n".utf8))
    exit(2)
}

do {
    // Open once (the model that built the index is loaded with it); search as often as needed.
    let location =
        arguments[flag] == "--store"
        ? try IndexLocation(index: "", store: arguments[flag + 1])
        : IndexLocation.directory(EmbeddedLocation(URL(fileURLWithPath: arguments[flag + 1])))
    let searcher = try Searcher(location: location)
    let hits = try searcher.search(question, limit: 5, mode: .hybrid)
    let sources = try ContextBuilder(neighbours: 1, maxTokens: 1500).sources(for: hits, searcher: searcher)
    print(
        """
        다음 자료만 근거로 질문에 답하세요. 근거로 쓴 자료의 번호를 [1]처럼 표시하고, 자료에 없는 내용은 모른다고 답하세요.

        \(ContextBuilder.render(sources))

        질문: \(question)
        답변:
        """)
} catch {
    FileHandle.standardError.write(Data("rag-context: \(error)\n".utf8))
    exit(1)
}
