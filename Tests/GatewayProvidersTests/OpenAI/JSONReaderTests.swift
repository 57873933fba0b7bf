import Foundation
import Testing

@testable import GatewayProviders

/// The hand-written JSON reader and writer in Translation/, checked against Foundation's.
@Suite("JSON reader and writer")
struct JSONReaderTests {
    static func readString(_ json: String) throws -> String {
        try JSONReader.read(json) { r throws(JSONReaderError) in try r.readString() }
    }

    @Test(arguments: [
        #""plain""#, #""esc \" \\ \/ \b \f \n \r \t""#, #""\u00e9\u4F60\uD83C\uDF0D""#, "\"raw é 🌍\"", #""""#,
    ])
    func stringsMatchFoundation(_ json: String) throws {
        let theirs = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed) as? String
        #expect(try Self.readString(json) == theirs)
    }

    /// Foundation rejects lone surrogates; a provider's chunk with one should not kill the stream, so they read as
    /// U+FFFD.
    @Test func loneSurrogatesAreReplaced() throws {
        #expect(try Self.readString(#""a \uD800 b""#) == "a \u{FFFD} b")
        #expect(try Self.readString(#""a \uDC00 b""#) == "a \u{FFFD} b")
        #expect(try Self.readString(#""\uD83Cx""#) == "\u{FFFD}x")
        #expect(try Self.readString(#""\uD83C\u0041""#) == "\u{FFFD}A")
    }

    @Test(arguments: [
        "", " ", "{", "[", #"{"a":}"#, #"{"a" 1}"#, #"{"a":1,}"#, "[1,]", #"{"a":1"#, #""unterminated"#, #""bad \x""#,
        #""\u12G4""#, "\"ctrl \u{1}\"", "tru", "nul", "01", "1.", "-", "1e", ".5", "+1", "[1 2]", #"{"a":1}}"#,
        "{'a':1}", "NaN",
    ])
    func brokenDocumentsThrow(_ json: String) {
        #expect(throws: JSONReaderError.self) {
            try JSONReader.read(json) { r throws(JSONReaderError) in try r.skipValue() }
        }
    }

    @Test(arguments: [
        "0", "-0.5e+10", "1E3", "true", "false", "null", #"{"a":[1,{"b":null}],"c":"d"}"#, " [ ] ", "{ }",
        #"[1.25, -3, "x", {"y": [true, false]}]"#,
    ])
    func validDocumentsAreSkipped(_ json: String) throws {
        try JSONReader.read(json) { r throws(JSONReaderError) in try r.skipValue() }
    }

    @Test func nestingIsCapped() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONReaderError.self) {
            try JSONReader.read(deep) { r throws(JSONReaderError) in try r.skipValue() }
        }
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { try JSONReader.read(ok) { r throws(JSONReaderError) in try r.skipValue() } }
    }

    static let counts: [(String, UInt64?)] = [
        ("0", 0), ("42", 42), ("null", nil), ("12.9", 12), ("-3", 0), ("1e3", 1000), ("18446744073709551615", .max),
        ("99999999999999999999", .max),
    ]

    @Test(arguments: counts)
    func countsAreRead(_ json: String, _ expected: UInt64?) throws {
        #expect(try JSONReader.read(json) { r throws(JSONReaderError) in try r.readOptionalCount() } == expected)
    }

    @Test func scalarTextKeepsNumbersAndBooleans() throws {
        let json = #"{"a":"s","b":429,"c":true,"d":null,"e":{"x":1},"f":[1]}"#
        var seen: [String: String] = [:]
        try JSONReader.read(json) { r throws(JSONReaderError) in
            try r.readObject { key, r throws(JSONReaderError) in
                for name: StaticString in ["a", "b", "c", "d", "e", "f"] where key == name {
                    seen["\(name)"] = try r.readScalarText() ?? "<nil>"
                }
            }
        }
        #expect(seen == ["a": "s", "b": "429", "c": "true", "d": "<nil>", "e": "<nil>", "f": "<nil>"])
    }

    @Test func unreadFieldsAreSkippedAndKeysMatchExactly() throws {
        let json = #"{"idx":1,"id":"yes","i":2,"\u0069d":"escaped","nested":{"id":"inner"}}"#
        var ids: [String] = []
        try JSONReader.read(json) { r throws(JSONReaderError) in
            try r.readObject { key, r throws(JSONReaderError) in
                if key == "id" { ids.append(try r.readString()) }
            }
        }
        #expect(ids == ["yes"])
    }

    @Test func writerOutputIsValidJSON() throws {
        var w = JSONWriter()
        w.beginObject()
        w.key("s")
        w.string("a\"b\\c\n\u{1}\u{1F}é🌍")
        w.key("n")
        w.double(0.1)
        w.key("i")
        w.int(-7)
        w.key("b")
        w.bool(false)
        w.key("arr")
        w.beginArray()
        w.int(1)
        w.beginObject()
        w.endObject()
        w.beginArray()
        w.endArray()
        w.string("x")
        w.endArray()
        w.endObject()
        let value = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        #expect(value["s"] as? String == "a\"b\\c\n\u{1}\u{1F}é🌍")
        #expect(value["n"] as? Double == 0.1)
        #expect(value["i"] as? Int == -7)
        #expect(value["b"] as? Bool == false)
        #expect((value["arr"] as? [Any])?.count == 4)
    }
}
