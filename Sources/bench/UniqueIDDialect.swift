import GatewayWire
import NIOCore

/// One encoded request sent again and again with a request id of its own per call: the id ends in 16 digits that are
/// rewritten in place, so every call is new to the server (no cheap duplicate) and costs the client no more than a
/// fixed request does.
struct UniqueIDDialect: LoadDialect {
    /// What an id passed to `init` ends with.
    static let placeholder = String(repeating: "0", count: 16)

    private var rpc: RPCDialect
    private var payload: [UInt8]
    private let digits: Range<Int>

    /// - Parameters:
    ///   - payload: the encoded request, carrying `id` (which ends in `placeholder`) as its request id.
    init(method: String, token: String, payload: [UInt8], id: String) {
        precondition(id.hasSuffix(Self.placeholder), "the id must end in the placeholder")
        let idBytes = Array(id.utf8)
        let start = (0...(payload.count - idBytes.count)).first { payload[$0..<($0 + idBytes.count)].elementsEqual(idBytes) }!
        self.payload = payload
        digits = (start + idBytes.count - Self.placeholder.count)..<(start + idBytes.count)
        rpc = RPCDialect(method: method, token: token)
    }

    func greeting(into buffer: inout ByteBuffer) {
        rpc.greeting(into: &buffer)
    }

    mutating func request(_ sequence: UInt64, into buffer: inout ByteBuffer) {
        var n = sequence
        for i in digits.reversed() {
            payload[i] = UInt8(ascii: "0") + UInt8(n % 10)
            n /= 10
        }
        rpc.request.payload = payload
        rpc.request(sequence, into: &buffer)
    }

    mutating func completed(by frame: ByteBuffer) throws -> UInt64? {
        try rpc.completed(by: frame)
    }
}
