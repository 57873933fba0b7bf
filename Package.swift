// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "aigw",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aigw", targets: ["aigw"]),
        .executable(name: "aigwctl", targets: ["aigwctl"]),
        .executable(name: "bench", targets: ["bench"]),
        .library(name: "GatewayClient", targets: ["GatewayClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // C bridges. Each C library is imported by exactly one Swift module (protobuf-c: GatewayWire).
        .systemLibrary(
            name: "CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Typed wrappers for what Swift cannot call in libcurl: the variadic curl_easy_setopt/getinfo.
        .target(
            name: "CGatewayShims",
            dependencies: ["CCurl"],
            path: "Sources/CGatewayShims"
        ),
        .target(
            name: "CGatewayProto",
            dependencies: ["CProtobufC"],
            path: "Sources/CGatewayProto"
        ),

        // Domain logic: no NIO, no C library (swift-crypto's SHA-256 for cache keys is a Swift API over its own
        // vendored BoringSSL, imported by nothing else).
        .target(name: "GatewayCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),

        // Frames, generated message types and their protobuf-c bridge, status codes.
        .target(
            name: "GatewayWire",
            dependencies: [
                "GatewayCore", "CGatewayProto", "CProtobufC",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // Redis over NIO channels on the server's event loops, with hiredis (the only module that imports it) as the
        // reply parser: pipelined connections.
        .target(
            name: "GatewayRedis",
            dependencies: [
                "GatewayCore", "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // HTTP to the providers over libcurl (the only module that imports it), the SSE parser, and the OpenAI and
        // Anthropic translators.
        .target(
            name: "GatewayProviders",
            dependencies: ["GatewayCore", "CGatewayShims", "CCurl"]
        ),

        // A real HTTP server that speaks OpenAI's and Anthropic's wire formats with scripted failures, for tests, the
        // bench and `aigw fake-upstream`.
        .target(
            name: "FakeUpstream",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // Listeners, dispatch, handlers, configuration, lifecycle.
        .target(
            name: "GatewayServer",
            dependencies: [
                "GatewayCore", "GatewayWire", "GatewayRedis", "GatewayProviders",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // The Swift client: async/await, many calls multiplexed on one connection.
        .target(
            name: "GatewayClient",
            dependencies: [
                "GatewayWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "aigw",
            dependencies: [
                "GatewayServer", "FakeUpstream",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "aigwctl",
            dependencies: [
                "GatewayClient", "GatewayCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "bench",
            dependencies: [
                "GatewayClient", "GatewayRedis", "GatewayProviders", "FakeUpstream",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // A synchronous workout of the protobuf-c bridge that `make leak-check` runs under valgrind.
        .executableTarget(name: "bridge-leakcheck", dependencies: ["GatewayWire"]),

        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore"]),
        // A private redis-server process for the tests that stop, restart or password-protect Redis.
        .target(name: "RedisTestSupport", path: "Tests/RedisTestSupport"),
        .testTarget(
            name: "GatewayRedisTests",
            dependencies: [
                "GatewayRedis", "GatewayCore", "RedisTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "GatewayProvidersTests", dependencies: ["GatewayProviders", "GatewayCore", "FakeUpstream"]),
        .testTarget(
            name: "FakeUpstreamTests",
            dependencies: [
                "FakeUpstream",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GatewayWireTests",
            dependencies: ["GatewayWire", "CProtobufC", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "GatewayServerTests",
            dependencies: ["GatewayServer", "GatewayWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "GatewayEndToEndTests",
            dependencies: [
                "GatewayClient", "GatewayWire", "FakeUpstream", "RedisTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
