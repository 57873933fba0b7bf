import Crypto

/// Where a cached answer lives: SHA-256 over a canonical encoding of everything that changes the answer, plus the
/// tenant scope, filed under its endpoint (for TTLs, statistics and flushing) and its org (for flushing by org).
///
/// The encoding is length-prefixed binary in a fixed field order, so neither the order in which a client set the
/// fields nor text that looks like a separator can make two different requests collide. Request ids and metadata are
/// never part of it. docs/protocol.md ("Response cache") specifies the encoding byte for byte so other languages can
/// reproduce a key.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    /// The version tag that starts every encoding; a change to the encoding changes it, so old entries just miss.
    public static let version = "aigw.cache.v1"

    public let endpoint: Endpoint
    /// The caller's org id when the scope binds one (org and user scopes), otherwise empty: `FlushCache` by org
    /// removes exactly the entries with this org.
    public let orgID: String
    /// SHA-256 of `canonicalEncoding`, 32 bytes.
    public let digest: [UInt8]

    public init(_ request: CompletionRequest, scope: CacheScope) {
        let subject = scope.subject(userID: request.userID, orgID: request.orgID)
        endpoint = request.endpoint
        orgID = subject.org
        digest = Array(SHA256.hash(data: Self.canonicalEncoding(request, scope: scope)))
    }

    /// The digest in lower-case hex, 64 characters.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { "\(endpoint.rawValue)/\(orgID.isEmpty ? "-" : orgID)/\(hex)" }

    /// The bytes the digest is taken over. Strings are UTF-8 with a 4-byte big-endian length in front, optional
    /// values a 0 byte (absent) or a 1 byte and the value, lists a 4-byte big-endian count and the items, numbers
    /// 8-byte big-endian (doubles as IEEE-754 bits, -0 as 0), booleans one byte. In order: the version tag; the scope
    /// (kind, org id, user id); endpoint; provider ("" when inferred from the model); model; fallback models; cross-
    /// provider fallback; system prompt (optional); messages (role, name (optional), content each); temperature
    /// (optional); top_p (optional); max tokens (optional); stop sequences sorted by their UTF-8 bytes (their order
    /// does not change the answer); response format ("text" or "json_object").
    public static func canonicalEncoding(_ request: CompletionRequest, scope: CacheScope) -> [UInt8] {
        var e = CanonicalEncoder()
        let subject = scope.subject(userID: request.userID, orgID: request.orgID)
        e.string(version)
        e.string(subject.kind)
        e.string(subject.org)
        e.string(subject.user)
        e.string(request.endpoint.rawValue)
        e.string(request.provider?.rawValue ?? "")
        e.string(request.model)
        e.list(request.fallbackModels) { $0.string($1) }
        e.bool(request.allowCrossProviderFallback)
        e.optional(request.systemPrompt) { $0.string($1) }
        e.list(request.messages) { e, m in
            e.string(m.role.rawValue)
            e.optional(m.name) { $0.string($1) }
            e.string(m.content)
        }
        e.optional(request.temperature) { $0.double($1) }
        e.optional(request.topP) { $0.double($1) }
        e.optional(request.maxTokens) { $0.uint64(UInt64(clamping: $1)) }
        e.list(request.stop.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) { $0.string($1) }
        e.string(request.responseFormat == .jsonObject ? "json_object" : "text")
        return e.bytes
    }
}

/// Length-prefixed big-endian binary, the building blocks of `CacheKey.canonicalEncoding` and `CachedAnswer`'s
/// stored form.
struct CanonicalEncoder {
    var bytes: [UInt8] = []

    mutating func uint32(_ n: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: n >> UInt32(shift))) }
    }

    mutating func uint64(_ n: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
    }

    mutating func double(_ d: Double) { uint64(d == 0 ? 0 : d.bitPattern) }

    mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            uint32(UInt32(clamping: utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optional<T>(_ value: T?, _ body: (inout CanonicalEncoder, T) -> Void) {
        guard let value else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        body(&self, value)
    }

    mutating func list<T>(_ items: [T], _ body: (inout CanonicalEncoder, T) -> Void) {
        uint32(UInt32(clamping: items.count))
        for item in items { body(&self, item) }
    }
}

/// Reads what `CanonicalEncoder` wrote; every read throws on truncated or malformed input.
struct CanonicalDecoder {
    struct Malformed: Error {}

    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(Malformed) -> UInt8 {
        guard offset < bytes.count else { throw Malformed() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint32() throws(Malformed) -> UInt32 {
        var n: UInt32 = 0
        for _ in 0..<4 { n = n << 8 | UInt32(try byte()) }
        return n
    }

    mutating func uint64() throws(Malformed) -> UInt64 {
        var n: UInt64 = 0
        for _ in 0..<8 { n = n << 8 | UInt64(try byte()) }
        return n
    }

    mutating func string() throws(Malformed) -> String {
        let count = Int(try uint32())
        guard count <= bytes.count - offset else { throw Malformed() }
        defer { offset += count }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }
}
