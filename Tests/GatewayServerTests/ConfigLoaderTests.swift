import Foundation
@testable import GatewayServer
import Logging
import Testing

@Suite("ConfigLoader")
struct ConfigLoaderTests {
    /// A YAML file in a fresh temporary directory; removed by `cleanup`.
    struct TempFile {
        let directory: URL
        let path: String

        init(_ contents: String, name: String = "aigw.yaml") throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("aigw-config-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent(name).path
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
        }

        func cleanup() {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Loads `yaml` from a temporary file.
    static func load(
        yaml: String, environment: [String: String] = [:], overrides: [String: String] = [:]
    ) throws -> ServerConfig {
        let file = try TempFile(yaml)
        defer { file.cleanup() }
        return try ConfigLoader.load(file: file.path, environment: environment, overrides: overrides)
    }

    /// The `ConfigError` that loading `yaml` throws, with the file's path for checking `source`.
    static func loadError(
        yaml: String, environment: [String: String] = [:], overrides: [String: String] = [:]
    ) throws -> (error: ConfigError?, path: String) {
        let file = try TempFile(yaml)
        defer { file.cleanup() }
        do {
            _ = try ConfigLoader.load(file: file.path, environment: environment, overrides: overrides)
            return (nil, file.path)
        } catch {
            return (error, file.path)
        }
    }

    static func loadError(environment: [String: String] = [:], overrides: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try ConfigLoader.load(file: nil, environment: environment, overrides: overrides)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Sources and precedence

    @Test func defaults() throws {
        let c = try ConfigLoader.load(file: nil, environment: [:])
        #expect(c.server.socketPath == ServerConfig.defaultSocketPath)
        #expect(c.server.socketPath.hasSuffix("/aigw.sock"))
        #expect(c.server.tcp == "127.0.0.1:7400")
        #expect(c.server.maxFrameBytes == 4 * 1024 * 1024)
        #expect(c.server.maxConcurrentCalls == 1024)
        #expect(c.server.drainGraceSeconds == 10)
        #expect(c.server.adminToken == nil)
        #expect(c.redis.url == nil)
        #expect(c.redis.host == nil)
        #expect(c.redis.port == nil)
        #expect(c.redis.password == nil)
        #expect(c.redis.db == nil)
        #expect(!c.redis.isConfigured)
        #expect(c.openAI.apiKey == nil)
        #expect(!c.openAI.isEnabled)
        #expect(c.openAI.baseURL == "https://api.openai.com/v1")
        #expect(c.anthropic.baseURL == "https://api.anthropic.com/v1")
        #expect(c.anthropic.apiVersion == "2023-06-01")
        #expect(!c.anthropic.isEnabled)
        #expect(c.logging.level == .info)
        #expect(c.logging.format == "text")
        #expect(c.debugMethods == false)
    }

    @Test func aYAMLFileSetsValues() throws {
        let c = try Self.load(yaml: """
            server:
              socket: /run/aigw/test.sock
              tcp: "0.0.0.0:7500"
              max_frame_bytes: 65536
              max_concurrent_calls: 8
              drain_grace_seconds: 2.5
              admin_token: file-token
            redis:
              url: redis://:pw@cache:6380/2
              port: 6380
              db: 3
            providers:
              openai:
                api_key: sk-file
                base_url: http://localhost:8080/v1/
                organization: org-abc
              anthropic:
                api_key: ant-file
                version: "2024-01-01"
            logging:
              level: DEBUG
              format: json
            debug:
              methods: yes
            """)
        #expect(c.server.socketPath == "/run/aigw/test.sock")
        #expect(c.server.tcp == "0.0.0.0:7500")
        #expect(c.server.maxFrameBytes == 65536)
        #expect(c.server.maxConcurrentCalls == 8)
        #expect(c.server.drainGraceSeconds == 2.5)
        #expect(c.server.adminToken == Secret("file-token"))
        #expect(c.redis.url?.value == "redis://:pw@cache:6380/2")
        #expect(c.redis.isConfigured)
        #expect(c.redis.port == 6380)
        #expect(c.redis.db == 3)
        #expect(c.openAI.apiKey?.value == "sk-file")
        #expect(c.openAI.isEnabled)
        #expect(c.openAI.baseURL == "http://localhost:8080/v1", "a trailing slash is dropped")
        #expect(c.openAI.organization == "org-abc")
        #expect(c.anthropic.apiKey?.value == "ant-file")
        #expect(c.anthropic.apiVersion == "2024-01-01")
        #expect(c.logging.level == .debug)
        #expect(c.logging.format == "json")
        #expect(c.debugMethods == true)
    }

    @Test func theEnvironmentOverridesTheFile() throws {
        let yaml = """
            server:
              tcp: "127.0.0.1:1111"
              max_concurrent_calls: 5
              admin_token: from-file
            logging:
              level: error
            """
        let c = try Self.load(yaml: yaml, environment: [
            "AIGW_TCP": "127.0.0.1:2222",
            "AIGW_ADMIN_TOKEN": "from-env",
            "AIGW_LOG_LEVEL": "warning",
            "OPENAI_API_KEY": "sk-env",
            "UNRELATED": "ignored",
        ])
        #expect(c.server.tcp == "127.0.0.1:2222")
        #expect(c.server.adminToken?.value == "from-env")
        #expect(c.logging.level == .warning)
        #expect(c.openAI.apiKey?.value == "sk-env")
        // A key only the file sets keeps the file's value.
        #expect(c.server.maxConcurrentCalls == 5)
    }

    @Test func anEmptyEnvironmentValueClearsASetting() throws {
        let c = try Self.load(
            yaml: "server:\n  admin_token: from-file\n  tcp: \"127.0.0.1:1\"\n",
            environment: ["AIGW_ADMIN_TOKEN": "", "AIGW_TCP": ""])
        #expect(c.server.adminToken == nil)
        #expect(c.server.tcp == "")
    }

    @Test func flagsOverrideTheEnvironment() throws {
        let c = try Self.load(
            yaml: "server:\n  tcp: \"127.0.0.1:1111\"\n  max_frame_bytes: 2048\n",
            environment: ["AIGW_TCP": "127.0.0.1:2222", "AIGW_MAX_FRAME_BYTES": "4096", "AIGW_DEBUG_METHODS": "false"],
            overrides: ["server.tcp": "127.0.0.1:3333", "debug.methods": "true"])
        #expect(c.server.tcp == "127.0.0.1:3333")
        #expect(c.debugMethods == true)
        // The environment still beats the file where no flag is given.
        #expect(c.server.maxFrameBytes == 4096)
    }

    @Test func anEmptyFileGivesTheDefaults() throws {
        for yaml in ["", "\n", "# only a comment\n"] {
            let c = try Self.load(yaml: yaml)
            #expect(ConfigLoader.render(c) == ConfigLoader.render(ServerConfig()))
            #expect(c.server.tcp == "127.0.0.1:7400")
        }
    }

    @Test func aNullValueClearsAnOptionalSetting() throws {
        let c = try Self.load(
            yaml: "server:\n  admin_token: ~\nproviders:\n  openai:\n    organization: null\n",
            environment: [:])
        #expect(c.server.adminToken == nil)
        #expect(c.openAI.organization == nil)
    }

    @Test func quotedEmptyAndNullLookingStringsAreValues() throws {
        // A quoted "null" is a string, not YAML null.
        let c = try Self.load(yaml: "providers:\n  openai:\n    organization: \"null\"\n")
        #expect(c.openAI.organization == "null")
    }

    // MARK: Errors

    @Test func anUnknownKeyInTheFileSuggestsTheNearestKey() throws {
        let (error, path) = try Self.loadError(yaml: "server:\n  tcpp: \"127.0.0.1:7400\"\n")
        let e = try #require(error)
        #expect(e.key == "server.tcpp")
        #expect(e.source == path)
        #expect(e.message.contains("unknown key"))
        #expect(e.message.contains("did you mean 'server.tcp'"))
        #expect(e.description.contains("server.tcpp"))
    }

    @Test func anUnknownFlagKeyNamesFlags() throws {
        let e = try #require(Self.loadError(overrides: ["logging.levle": "debug"]))
        #expect(e.key == "logging.levle")
        #expect(e.source == "flags")
        #expect(e.message.contains("did you mean 'logging.level'"))
    }

    @Test func aFarOffUnknownKeyGetsNoSuggestion() throws {
        let (error, _) = try Self.loadError(yaml: "completely:\n  different_thing: 1\n")
        let e = try #require(error)
        #expect(e.key == "completely.different_thing")
        #expect(e.message.contains("unknown key"))
        #expect(!e.message.contains("did you mean"))
    }

    @Test(arguments: [
        ("server:\n  max_frame_bytes: abc\n", "server.max_frame_bytes", "abc"),
        ("server:\n  max_frame_bytes: 100\n", "server.max_frame_bytes", "out of range"),
        ("server:\n  max_frame_bytes: 268435457\n", "server.max_frame_bytes", "out of range"),
        ("server:\n  max_concurrent_calls: 0\n", "server.max_concurrent_calls", "out of range"),
        ("server:\n  drain_grace_seconds: -1\n", "server.drain_grace_seconds", "out of range"),
        ("server:\n  drain_grace_seconds: .nan\n", "server.drain_grace_seconds", "number"),
        ("server:\n  tcp: localhost\n", "server.tcp", "host:port"),
        ("server:\n  tcp: \"localhost:70000\"\n", "server.tcp", "host:port"),
        ("logging:\n  level: loud\n", "logging.level", "expected one of"),
        ("logging:\n  format: xml\n", "logging.format", "text or json"),
        ("redis:\n  url: http://cache:6379\n", "redis.url", "redis://"),
        ("redis:\n  port: 0\n", "redis.port", "out of range"),
        ("providers:\n  openai:\n    base_url: ftp://x\n", "providers.openai.base_url", "http"),
        ("debug:\n  methods: maybe\n", "debug.methods", "true or false"),
    ])
    func aBadValueInTheFileNamesKeyAndSource(yaml: String, key: String, fragment: String) throws {
        let (error, path) = try Self.loadError(yaml: yaml)
        let e = try #require(error, "\(key) accepted a bad value")
        #expect(e.key == key)
        #expect(e.source == path)
        #expect(e.message.contains(fragment), "message: \(e.message)")
        #expect(e.description.hasPrefix("\(path): \(key): "))
    }

    @Test(arguments: [
        ("AIGW_MAX_FRAME_BYTES", "lots", "lots"),
        ("AIGW_MAX_FRAME_BYTES", "10", "out of range"),
        ("AIGW_LOG_LEVEL", "verbose", "expected one of"),
        ("REDIS_URL", "cache:6379", "redis://"),
        ("AIGW_TCP", "nohost", "host:port"),
        ("AIGW_DEBUG_METHODS", "2", "true or false"),
    ])
    func aBadEnvironmentValueNamesTheVariable(name: String, value: String, fragment: String) throws {
        let e = try #require(Self.loadError(environment: [name: value]), "\(name)=\(value) was accepted")
        #expect(e.key == name)
        #expect(e.source == "environment")
        #expect(e.message.contains(fragment), "message: \(e.message)")
    }

    @Test func aBadFlagValueNamesTheKeyAndFlags() throws {
        let e = try #require(Self.loadError(overrides: ["server.max_concurrent_calls": "-3"]))
        #expect(e.key == "server.max_concurrent_calls")
        #expect(e.source == "flags")
        #expect(e.message.contains("out of range"))
    }

    @Test func aListWhereAScalarIsExpectedFails() throws {
        let (error, path) = try Self.loadError(yaml: "server:\n  tcp:\n    - \"127.0.0.1:1\"\n    - \"127.0.0.1:2\"\n")
        let e = try #require(error)
        #expect(e.key == "server.tcp")
        #expect(e.source == path)
        #expect(e.message.contains("single value"))
    }

    @Test func aMappingWhereAScalarIsExpectedFails() throws {
        // `server.tcp.host` is not a key; the walk flattens it and the unknown-key check catches it.
        let (error, _) = try Self.loadError(yaml: "server:\n  tcp:\n    host: localhost\n")
        let e = try #require(error)
        #expect(e.key == "server.tcp.host")
    }

    @Test func aTopLevelThatIsNotAMappingFails() throws {
        for yaml in ["- a\n- b\n", "just a string\n"] {
            let (error, path) = try Self.loadError(yaml: yaml)
            let e = try #require(error, "accepted: \(yaml)")
            #expect(e.source == path)
            #expect(e.message.contains("mapping"))
        }
    }

    @Test func invalidYAMLFails() throws {
        let (error, path) = try Self.loadError(yaml: "server: [unclosed\n")
        let e = try #require(error)
        #expect(e.source == path)
        #expect(e.message.contains("not valid YAML"))
    }

    @Test func aMissingFileFails() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("aigw-missing-\(UUID().uuidString).yaml").path
        do {
            _ = try ConfigLoader.load(file: path, environment: [:])
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.source == path)
            #expect(error.message.contains("cannot read"))
        }
    }

    // MARK: Render

    @Test func renderRedactsEverySecret() throws {
        let secrets = [
            "AIGW_ADMIN_TOKEN": "admin-SECRET-1",
            "OPENAI_API_KEY": "sk-SECRET-2",
            "REDIS_URL": "redis://:SECRET-3@cache:6379/0",
            "REDIS_PASSWORD": "SECRET-4",
            "ANTHROPIC_API_KEY": "ant-SECRET-5",
        ]
        let c = try ConfigLoader.load(file: nil, environment: secrets)
        let text = ConfigLoader.render(c)
        #expect(!text.contains("SECRET"), "render leaked a secret:\n\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("  admin_token: <redacted>"))
        #expect(lines.contains("  url: <redacted>"))
        #expect(lines.contains("  password: <redacted>"))
        #expect(lines.filter { $0 == "    api_key: <redacted>" }.count == 2)
        // Non-secret values are shown.
        #expect(lines.contains("  tcp: 127.0.0.1:7400"))
        #expect(lines.contains("  level: info"))
    }

    @Test func renderOmitsUnsetOptionalsAndSecrets() throws {
        let text = ConfigLoader.render(try ConfigLoader.load(file: nil, environment: [:]))
        #expect(!text.contains("admin_token"))
        #expect(!text.contains("api_key"))
        #expect(!text.contains("<redacted>"))
        #expect(!text.contains("redis:"), "no redis setting, no redis section")
    }

    @Test func secretsDescribeThemselvesRedacted() {
        let s = Secret("hunter2")
        #expect("\(s)" == "<redacted>")
        #expect(String(reflecting: s) == "<redacted>")
        #expect(s.value == "hunter2")
    }

    @Test func renderedYAMLLoadsBackToTheSameConfiguration() throws {
        // Without secrets the rendered text is a valid config file with the same effective values.
        let original = try ConfigLoader.load(file: nil, environment: [
            "AIGW_TCP": "[::1]:7401",
            "AIGW_SOCKET": "/tmp/a dir/aigw.sock",
            "AIGW_DRAIN_GRACE_SECONDS": "0.25",
            "OPENAI_ORGANIZATION": "org: \"quoted\"",
            "REDIS_HOST": "cache",
            "REDIS_PORT": "6380",
            "AIGW_LOG_FORMAT": "json",
            "AIGW_DEBUG_METHODS": "on",
        ])
        let text = ConfigLoader.render(original)
        let reloaded = try Self.load(yaml: text)
        #expect(ConfigLoader.render(reloaded) == text)
        #expect(reloaded.server.tcp == "[::1]:7401")
        #expect(reloaded.server.socketPath == "/tmp/a dir/aigw.sock")
        #expect(reloaded.openAI.organization == "org: \"quoted\"")
        #expect(reloaded.server.drainGraceSeconds == 0.25)
        #expect(reloaded.redis.port == 6380)
        #expect(reloaded.debugMethods)
    }

    @Test(arguments: ["null", "~", "-", "--", "-x", "true", "123", "a b", "\"", "\\", "#x", "x #y", "'s", "[a]", "{a}", "*a", "&a", "!a", "@a", "%a", "|", ">"])
    func renderedStringValuesLoadBackUnchanged(value: String) throws {
        // A string setting must come back as the same string, even when it looks like YAML syntax.
        let original = try ConfigLoader.load(file: nil, environment: ["OPENAI_ORGANIZATION": value])
        #expect(original.openAI.organization == value)
        let reloaded = try Self.load(yaml: ConfigLoader.render(original))
        #expect(reloaded.openAI.organization == value)
    }

    @Test func everyKeyHasAnEnvironmentVariableAndHelp() {
        var paths = Set<String>()
        var envs = Set<String>()
        for key in ConfigLoader.keys {
            #expect(paths.insert(key.path).inserted, "duplicate key \(key.path)")
            #expect(!key.help.isEmpty, "\(key.path) has no help")
            #expect(!key.env.isEmpty, "\(key.path) has no environment variable")
            for e in key.env { #expect(envs.insert(e).inserted, "duplicate variable \(e)") }
        }
        let secrets = Set(ConfigLoader.keys.filter(\.secret).map(\.path))
        #expect(secrets == [
            "server.admin_token", "redis.url", "redis.password", "providers.openai.api_key",
            "providers.anthropic.api_key", "alerts.webhook_url", "cache.redis_url",
        ])
    }
}
