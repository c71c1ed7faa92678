import Foundation
import KorSearchTestSupport
import XCTest

@testable import KorSearchCore
@testable import KorSearchHub

/// Fetching a model from a real HTTP server on loopback that speaks the hub's URL layout and headers.
final class ModelHubTests: XCTestCase {
    private let repository = "lighthouse/tiny-kor-test"

    private func start() throws -> HubTestServer {
        let server = try HubTestServer(serving: TestPaths.tinyModel, as: repository)
        addTeardownBlock { server.stop() }
        return server
    }

    private func settings(_ server: HubTestServer, cache: URL, offline: Bool = false, token: String? = nil) -> HubSettings {
        var environment = ["HF_ENDPOINT": server.endpoint, "HF_HUB_CACHE": cache.path]
        if offline { environment["HF_HUB_OFFLINE"] = "1" }
        if let token { environment["HF_TOKEN"] = token }
        return HubSettings(environment: environment)
    }

    func testFirstRunDownloadsIntoTheCacheLayoutSecondRunMakesNoRequest() throws {
        let server = try start()
        let cache = try temporaryFolder()
        let hub = ModelHub(settings: settings(server, cache: cache))
        let snapshot = try ModelLocator.resolve(repository, hub: hub)
        XCTAssertEqual(snapshot.path, cache.appendingPathComponent("models--lighthouse--tiny-kor-test/snapshots/\(server.commit)").path)
        XCTAssertEqual(
            try String(contentsOf: cache.appendingPathComponent("models--lighthouse--tiny-kor-test/refs/main"), encoding: .utf8), server.commit)
        // Files are links into blobs named by ETag; the weights blob is named by its sha256.
        let weights = snapshot.appendingPathComponent("model.safetensors")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: weights.path).hasPrefix("../../blobs/"), true)
        XCTAssertEqual(try Data(contentsOf: weights), try Data(contentsOf: TestPaths.tinyModel.appendingPathComponent("model.safetensors")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("pytorch_model.bin").path), "only the files needed")
        XCTAssertTrue(server.recorded.contains { $0.path.hasPrefix("/cdn/") }, "the large file came through the redirect")
        // The downloaded model works.
        let loaded = try ModelLocator.load(repository, hub: hub)
        XCTAssertEqual(loaded.embedder.model.config.hiddenSize, 32)

        let before = server.recorded.count
        _ = try ModelLocator.resolve(repository, hub: hub)
        _ = try ModelLocator.resolve("\(repository)@main", hub: hub)
        XCTAssertEqual(server.recorded.count, before, "a cached model makes no request")
    }

    func testInterruptedDownloadResumes() throws {
        let server = try start()
        let cache = try temporaryFolder()
        let hub = ModelHub(settings: settings(server, cache: cache))
        server.cutNextDownloadAfter = 100_000
        XCTAssertThrowsError(try hub.download(repository)) { error in
            XCTAssertTrue("\(error)".contains("resumes next time"), "\(error)")
        }
        let partial = try FileManager.default.contentsOfDirectory(
            atPath: cache.appendingPathComponent("models--lighthouse--tiny-kor-test/blobs").path
        )
        .filter { $0.hasSuffix(".incomplete") }
        XCTAssertEqual(partial.count, 1)
        let snapshot = try hub.download(repository)
        let ranges = server.recorded.compactMap { $0.headers["range"] }
        XCTAssertEqual(ranges, ["bytes=100000-"], "the second download asked only for the rest")
        XCTAssertEqual(
            try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")),
            try Data(contentsOf: TestPaths.tinyModel.appendingPathComponent("model.safetensors")))
    }

    func testAFileThatDoesNotMatchItsHashIsRejectedAndNotKept() throws {
        let server = try start()
        let cache = try temporaryFolder()
        server.corruptDownloads = true
        XCTAssertThrowsError(try ModelHub(settings: settings(server, cache: cache)).download(repository)) { error in
            XCTAssertTrue("\(error)".contains("does not match"), "\(error)")
        }
        let blobs = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("models--lighthouse--tiny-kor-test/blobs").path)
        XCTAssertFalse(blobs.contains { $0.count == 64 }, "no weights blob: \(blobs)")
        XCTAssertFalse(blobs.contains { $0.hasSuffix(".incomplete") }, "no partial file either: \(blobs)")
        XCTAssertNil(ModelHub(settings: settings(server, cache: cache)).cachedSnapshot(repository))
    }

    func testUnauthorizedNotFoundAndOffline() throws {
        let server = try start()
        let cache = try temporaryFolder()
        server.privateRepositories = ["lighthouse/private-model"]
        XCTAssertThrowsError(try ModelHub(settings: settings(server, cache: cache)).download("lighthouse/private-model")) { error in
            XCTAssertTrue("\(error)".contains("HF_TOKEN"), "\(error)")
        }
        XCTAssertThrowsError(try ModelHub(settings: settings(server, cache: cache)).download("nobody/missing")) { error in
            XCTAssertTrue("\(error)".contains("404"), "\(error)")
        }
        // Offline: the cache only, and a clear error with the command that fetches.
        let offline = ModelHub(settings: settings(server, cache: cache, offline: true))
        XCTAssertThrowsError(try ModelLocator.resolve(repository, hub: offline)) { error in
            XCTAssertTrue("\(error)".contains("korsearch model fetch \(repository)"), "\(error)")
        }
        try ModelHub(settings: settings(server, cache: cache)).download(repository)
        let offlineBefore = server.recorded.count
        _ = try ModelLocator.resolve(repository, hub: offline)
        XCTAssertEqual(server.recorded.count, offlineBefore, "offline makes no request")
    }

    func testPrivateModelWithToken() throws {
        let server = try HubTestServer(serving: TestPaths.tinyModel, as: "lighthouse/private-model")
        addTeardownBlock { server.stop() }
        server.privateRepositories = ["lighthouse/private-model"]
        let cache = try temporaryFolder()
        let snapshot = try ModelHub(settings: settings(server, cache: cache, token: "secret")).download("lighthouse/private-model")
        XCTAssertTrue(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("config.json").path))
    }

    func testHubIds() {
        XCTAssertEqual(ModelLocator.hubId("lighthouse/mdeberta-v3-base-kor-further")?.revision, "main")
        XCTAssertEqual(ModelLocator.hubId("org/name@v1.0")?.revision, "v1.0")
        XCTAssertNil(ModelLocator.hubId("not a model"))
        XCTAssertNil(ModelLocator.hubId("../etc/passwd"))
        XCTAssertNil(ModelLocator.hubId("a/b/c"))
        XCTAssertNil(ModelLocator.hubId("org/name@../x"))
    }

    func testAnUnreachableHubIsANetworkError() throws {
        // A port nothing listens on: connection refused.
        let settings = HubSettings(environment: ["HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": try temporaryFolder().path])
        XCTAssertThrowsError(try ModelHub(settings: settings).download("lighthouse/nothing")) { error in
            XCTAssertEqual((error as? KorSearchError)?.kind, .network, "\(error)")
            XCTAssertFalse("\(error)".contains("kept"), "nothing was downloaded, so nothing is kept: \(error)")
        }
    }

    /// A sentence-transformers repository (an XLM-RoBERTa model with CLS pooling and Normalize, as bge-m3 and KURE
    /// are published): its SentencePiece model under XLM-R's name, the modules, the pooling and the length come
    /// along, and the model loads as from its folder.
    func testASentenceTransformersRepositoryComesWithItsPooling() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("models/xlmr-tiny-st-cls")
        let server = try HubTestServer(serving: folder, as: "nlpai-lab/tiny-kure-test")
        addTeardownBlock { server.stop() }
        let hub = ModelHub(settings: settings(server, cache: try temporaryFolder()))
        let snapshot = try ModelLocator.resolve("nlpai-lab/tiny-kure-test", hub: hub)
        for name in ["sentencepiece.bpe.model", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json", "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent(name).path), name)
        }
        let loaded = try ModelLocator.load("nlpai-lab/tiny-kure-test", hub: hub)
        XCTAssertEqual(loaded.identity.pooling, "cls")
        XCTAssertEqual(loaded.embedder.maxLength, 64)
        let local = try ModelLocator.load(folder.path)
        XCTAssertEqual(loaded.identity.fingerprint, local.identity.fingerprint, "the same files, the same model")
        XCTAssertEqual(try loaded.embedder.embed(["기준금리 동결"])[0].vector, try local.embedder.embed(["기준금리 동결"])[0].vector)
    }

    /// Repositories published in the other shapes come whole: a Dense module's folder with its weights, a WordPiece
    /// `vocab.txt` with its options, a `tokenizer.json` alone with the prompts; each loads as from its folder.
    func testDenseWordPieceAndPromptRepositoriesComeWhole() throws {
        for (name, files) in [
            ("mdeberta-tiny-st-dense", ["2_Dense/config.json", "2_Dense/model.safetensors", "spm.model"]),
            ("roberta-tiny-wordpiece-st", ["vocab.txt", "tokenizer_config.json"]),
            ("bert-tiny-st-prompts", ["tokenizer.json", "config_sentence_transformers.json"]),
        ] {
            let folder = TestPaths.fixtures.appendingPathComponent("models/\(name)")
            let server = try HubTestServer(serving: folder, as: "team/\(name)")
            defer { server.stop() }
            let hub = ModelHub(settings: settings(server, cache: try temporaryFolder()))
            let snapshot = try ModelLocator.resolve("team/\(name)", hub: hub)
            for file in files {
                XCTAssertTrue(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent(file).path), "\(name): \(file)")
            }
            let loaded = try ModelLocator.load("team/\(name)", hub: hub)
            let local = try ModelLocator.load(folder.path)
            XCTAssertEqual(loaded.identity.fingerprint, local.identity.fingerprint, name)
            XCTAssertEqual([loaded.identity.queryPrompt, loaded.identity.passagePrompt], [local.identity.queryPrompt, local.identity.passagePrompt])
            XCTAssertEqual(try loaded.embedder.embed(["기준금리 동결"])[0].vector, try local.embedder.embed(["기준금리 동결"])[0].vector, name)
        }
    }
}
