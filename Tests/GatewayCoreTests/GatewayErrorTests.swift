import GatewayCore
import Testing

@Suite("GatewayError")
struct GatewayErrorTests {
    struct DiskError: Error, Sendable, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    @Test func descriptionIncludesCodeMessageAndCause() {
        let error = GatewayError(.unavailable, "store is down", reason: "store_unavailable", cause: DiskError())
        #expect(error.description == "unavailable: store is down (cause: disk on fire)")
        #expect("\(error)".contains("disk on fire"))
    }

    @Test func descriptionWithoutCauseHasNoCausePart() {
        let error = GatewayError(.invalidArgument, "bad model")
        #expect(error.description == "invalidArgument: bad model")
        #expect(!error.description.contains("cause"))
    }

    @Test func aNestedGatewayErrorCauseIsDescribed() {
        let inner = GatewayError(.deadlineExceeded, "upstream timed out")
        let outer = GatewayError(.internalError, "completion failed", cause: inner)
        #expect(outer.description == "internalError: completion failed (cause: deadlineExceeded: upstream timed out)")
    }

    @Test func fieldsKeepTheirValues() {
        let error = GatewayError(.resourceExhausted, "slow down", reason: "rate_limited", cause: DiskError())
        #expect(error.code == .resourceExhausted)
        #expect(error.message == "slow down")
        #expect(error.reason == "rate_limited")
        #expect(error.cause is DiskError)
        let plain = GatewayError(.notFound, "x")
        #expect(plain.reason == "")
        #expect(plain.cause == nil)
    }

    @Test func codesAreDistinctAndNamed() {
        let codes: [GatewayError.Code] = [
            .invalidArgument, .notFound, .alreadyExists, .permissionDenied, .unauthenticated, .resourceExhausted,
            .failedPrecondition, .unavailable, .deadlineExceeded, .cancelled, .unimplemented, .internalError,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(Set(codes.map(\.description)).count == codes.count)
        #expect(GatewayError.Code.notFound == .notFound)
        #expect(GatewayError.Code.notFound != .alreadyExists)
        #expect(GatewayError.Code.internalError.description == "internalError")
    }
}
