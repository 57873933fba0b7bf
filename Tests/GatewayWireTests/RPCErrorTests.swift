import GatewayCore
import GatewayWire
import Testing

/// `RPCError.init(_: GatewayError)` is the one place domain codes become wire statuses.
@Suite("RPCError")
struct RPCErrorTests {
    /// Every `GatewayError.Code` with the status it must become (docs/protocol.md uses the gRPC codes).
    static let mapping: [(GatewayError.Code, Aigw_V1_StatusCode)] = [
        (.invalidArgument, .invalidArgument),
        (.notFound, .notFound),
        (.alreadyExists, .alreadyExists),
        (.permissionDenied, .permissionDenied),
        (.unauthenticated, .unauthenticated),
        (.resourceExhausted, .resourceExhausted),
        (.failedPrecondition, .failedPrecondition),
        (.unavailable, .unavailable),
        (.deadlineExceeded, .deadlineExceeded),
        (.cancelled, .cancelled),
        (.unimplemented, .unimplemented),
        (.internalError, .internal),
    ]

    @Test(arguments: RPCErrorTests.mapping)
    func eachCodeMapsToItsStatus(code: GatewayError.Code, status: Aigw_V1_StatusCode) {
        let error = RPCError(GatewayError(code, "something happened", reason: "some_reason"))
        #expect(error.code == status)
        #expect(error.message == "something happened")
        #expect(error.detail?.reason == "some_reason")
    }

    @Test func theMappingCoversTwelveDistinctCodesAndStatuses() {
        // A new code or a copy-paste slip (two codes mapped to one status) shows up here.
        #expect(Set(Self.mapping.map(\.0)).count == 12)
        #expect(Set(Self.mapping.map { RPCError(GatewayError($0.0, "")).code }).count == 12)
        #expect(!Self.mapping.contains { RPCError(GatewayError($0.0, "")).code == .ok })
    }

    @Test func theReasonTravelsInTheDetail() {
        let error = RPCError(GatewayError(.unauthenticated, "invalid admin token", reason: "admin_token_invalid"))
        #expect(error.detail == .reason("admin_token_invalid"))
        let status = error.status
        #expect(status.code == .unauthenticated)
        #expect(status.message == "invalid admin token")
        #expect(status.detail?.reason == "admin_token_invalid")
        // And back from the wire.
        #expect(RPCError(status: status) == error)
    }

    @Test func anEmptyReasonSendsNoDetail() {
        let error = RPCError(GatewayError(.notFound, "no such job"))
        #expect(error.detail == nil)
        #expect(error.status.detail == nil)
    }

    @Test func theCauseIsNotSentToTheClient() {
        struct Secretive: Error, Sendable, CustomStringConvertible {
            var description: String { "password=hunter2" }
        }
        let error = RPCError(GatewayError(.internalError, "store failed", reason: "store_error", cause: Secretive()))
        #expect(error.code == .internal)
        #expect(error.message == "store failed")
        #expect(!error.description.contains("hunter2"))
    }

    @Test func descriptionNamesCodeMessageAndReason() {
        #expect(RPCError(.notFound, "gone", detail: .reason("job_not_found")).description
            == "NOT_FOUND: gone [job_not_found]")
        #expect(RPCError(.internal, "oops").description == "INTERNAL: oops")
        #expect(RPCError(.internal, "oops", detail: Aigw_V1_ErrorDetail()).description == "INTERNAL: oops")
        #expect(RPCError(.unrecognized(99), "odd").description == "99: odd")
    }

    @Test func statusCodeNamesDropTheProtoPrefix() {
        #expect(Aigw_V1_StatusCode.unimplemented.name == "UNIMPLEMENTED")
        #expect(Aigw_V1_StatusCode.ok.name == "OK")
        #expect(Aigw_V1_StatusCode.unrecognized(42).name == "42")
        for code in Aigw_V1_StatusCode.allCases {
            #expect(code.protoName == "STATUS_CODE_" + code.name)
        }
    }

    @Test func statusFramesCarryTheReason() throws {
        let frame = Aigw_V1_Frame.status(0, .resourceExhausted, "frame too large", reason: "frame_too_large")
        guard case .status(let status)? = frame.kind else {
            Issue.record("not a status frame")
            return
        }
        #expect(frame.callId == 0)
        #expect(status.code == .resourceExhausted)
        #expect(status.detail?.reason == "frame_too_large")
        // No reason, no detail.
        guard case .status(let bare)? = Aigw_V1_Frame.status(4, .cancelled, "cancelled").kind else {
            Issue.record("not a status frame")
            return
        }
        #expect(bare.detail == nil)
    }
}
