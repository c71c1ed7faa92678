// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "KorSearch",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "KorSearch", targets: ["KorSearch"]),
        .library(name: "KorEncoder", targets: ["KorEncoder"]),
        .library(name: "KorDocuments", targets: ["KorDocuments"]),
        .executable(name: "korsearch", targets: ["korsearch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        // Documentation only: `swift package generate-documentation --target KorSearch` builds the DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C++ shim over Debian's libsentencepiece, exposed as a handful of extern "C" functions.
        .target(
            name: "CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]
        ),
        // C++ shim over Debian's static libfaiss (C++ only; its C-API headers have no library behind them).
        .target(
            name: "CFaiss",
            cxxSettings: [.headerSearchPath("compat")],
            linkerSettings: [
                .linkedLibrary("faiss"), .linkedLibrary("gomp"), .linkedLibrary("openblas"),
                .linkedLibrary("lapack"), .linkedLibrary("stdc++"),
            ]
        ),
        // The linear layers through Debian's oneDNN (its C API): fp32, bf16 and int8 matmuls.
        .target(name: "CMatmul", linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),
        // OpenBLAS's cblas.h as a Swift module (attention's small GEMMs, one-off products at load).
        .systemLibrary(name: "CBLAS"),
        // zlib (Debian's zlib1g-dev): CRC-32 of the FAISS file, raw deflate of HWP streams.
        .systemLibrary(name: "CKSZlib"),
        // libolecf (Debian's libolecf-dev): the OLE compound files HWP 5.0 documents are stored in.
        .systemLibrary(name: "CKSOlecf"),
        // Plain C numeric kernels of the encoder's memory-bound steps (LayerNorm, GELU, softmax, ...).
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("m")]),
        // The DeBERTa-v2 encoder: config, weight files, tokenizer, forward pass, pooling, batching.
        .target(name: "KorEncoder", dependencies: ["CSentencePiece", "CBLAS", "CKernels", "CMatmul"]),
        // Child processes started clean: empty signal mask, default handlers, killed with their parent, memory capped.
        .target(name: "CProcess"),
        // Files to structured documents: one DocumentReader per format, registered in DocumentFormats.
        .target(
            name: "KorDocuments",
            dependencies: [
                "CProcess", "CKSZlib", "CKSOlecf",
                // AES for HWP distribution documents.
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The core: index meta, the store protocols, chunking, keyword terms, the indexer and the search
        // pipeline. No store, no network: those are the targets below.
        .target(
            name: "KorSearchCore",
            dependencies: ["KorEncoder", "KorDocuments", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The embedded store: an index directory (SQLite catalog through GRDB, FAISS vectors, the keyword index).
        .target(
            name: "KorSearchEmbedded",
            dependencies: ["KorSearchCore", "KorEncoder", "KorDocuments", "CFaiss", "CKSZlib", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The PostgreSQL + pgvector store (PostgresNIO).
        .target(
            name: "KorSearchPostgres",
            dependencies: [
                "KorSearchCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Models by hub id: the Hugging Face hub's download protocol and its shared cache.
        .target(
            name: "KorSearchHub",
            dependencies: ["KorSearchCore", "KorEncoder", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // OpenDART: the corp-code list, filing search, filing downloads into a folder the indexer reads.
        .target(
            name: "KorSearchDART",
            dependencies: ["KorSearchCore", "KorDocuments", "KorSearchHub"]
        ),
        // The library applications import: re-exports the targets above, and holds the one place that
        // chooses a store for a location and opens an index with the model that built it.
        .target(
            name: "KorSearch",
            dependencies: ["KorSearchCore", "KorSearchEmbedded", "KorSearchPostgres", "KorSearchHub", "KorSearchDART", "KorDocuments"]
        ),
        // The HTTP API (Hummingbird): OpenAI-compatible embeddings, search, documents, and the search page
        // (Page/: HTML, CSS and JavaScript files embedded into the binary at build time).
        .target(
            name: "KorSearchServer",
            dependencies: [
                "KorSearch", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Page"],
            plugins: ["EmbedResources"]
        ),
        // Build-time only: the files of a target's Page folder as a Swift enum (the page served by KorSearchServer).
        .executableTarget(name: "embed-resources"),
        .plugin(name: "EmbedResources", capability: .buildTool(), dependencies: ["embed-resources"], path: "Sources/EmbedResourcesPlugin"),
        // The Model Context Protocol server (the official Swift SDK): search, context, documents, info as tools.
        .target(
            name: "KorSearchMCP",
            dependencies: ["KorSearch", .product(name: "MCP", package: "swift-sdk")]
        ),
        // The command-line tool: a thin shell over the library.
        .executableTarget(
            name: "korsearch",
            dependencies: [
                "KorSearch", "KorSearchServer", "KorSearchMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Example: retrieval for a RAG prompt, with citations.
        .executableTarget(name: "rag-context", dependencies: ["KorSearch"], path: "Examples/RAGContext"),
        // Benchmark: search latency on a large synthetic index (Scripts/bench).
        .executableTarget(name: "search-benchmark", dependencies: ["KorSearch"], path: "Scripts/bench/SearchBenchmark"),
        // Tests mirror the library targets: each library target has a test target that builds only what that
        // target needs (a reader test builds no store); KorSearchTests holds what crosses targets (search over
        // real indexes, reuse, metadata); KorsearchCLITests runs the korsearch process (CLI, HTTP, MCP, page).
        .testTarget(name: "KorEncoderTests", dependencies: ["KorEncoder"], path: "Tests/KorEncoderTests"),
        .testTarget(
            name: "KorDocumentsTests",
            dependencies: [
                "KorDocuments", "CProcess", "KorSearchTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/KorDocumentsTests"
        ),
        .testTarget(
            name: "KorSearchCoreTests",
            dependencies: ["KorSearchCore", "KorEncoder", "KorDocuments", "KorSearchTestSupport"],
            path: "Tests/KorSearchCoreTests"
        ),
        .testTarget(
            name: "KorSearchEmbeddedTests",
            dependencies: [
                "KorSearch", "KorSearchEmbedded", "KorSearchCore", "KorSearchTestSupport", "KorSearchIndexTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/KorSearchEmbeddedTests"
        ),
        .testTarget(
            name: "KorSearchPostgresTests",
            dependencies: [
                "KorSearch", "KorSearchPostgres", "KorSearchCore", "KorSearchTestSupport", "KorSearchIndexTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/KorSearchPostgresTests"
        ),
        .testTarget(
            name: "KorSearchHubTests",
            dependencies: ["KorSearchHub", "KorSearchCore", "KorEncoder", "KorSearchTestSupport"],
            path: "Tests/KorSearchHubTests"
        ),
        .testTarget(
            name: "KorSearchDARTTests",
            dependencies: ["KorSearchDART", "KorSearchCore", "KorSearchTestSupport"],
            path: "Tests/KorSearchDARTTests"
        ),
        // What several test targets share: test files and folders, loopback servers speaking the Hugging Face
        // hub's and OpenDART's protocols, facts about the sample corpus.
        .target(
            name: "KorSearchTestSupport",
            dependencies: [.product(name: "Crypto", package: "swift-crypto"), .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/TestSupport"
        ),
        // What the tests over real indexes share: the tiny model as applications load it, indexes of fixtures,
        // the test PostgreSQL server, and the store conformance suite every store runs.
        .target(
            name: "KorSearchIndexTestSupport",
            dependencies: ["KorSearch", "KorSearchTestSupport"],
            path: "Tests/IndexTestSupport"
        ),
        .testTarget(
            name: "KorSearchTests",
            dependencies: [
                "KorSearch", "KorSearchCore", "KorDocuments", "KorSearchEmbedded", "KorSearchPostgres",
                "KorSearchTestSupport", "KorSearchIndexTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/KorSearchTests"
        ),
        .testTarget(
            name: "KorsearchCLITests",
            dependencies: [
                "KorSearch", "KorSearchServer", "KorSearchPostgres", "KorDocuments", "KorSearchTestSupport",
                .product(name: "MCP", package: "swift-sdk"),
            ],
            path: "Tests/KorsearchCLITests"
        ),
    ],
    cxxLanguageStandard: .cxx17
)
